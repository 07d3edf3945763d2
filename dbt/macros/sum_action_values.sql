{#- Sums `value` over the elements of a Graph action list (actions, action_values…) whose
    action_type is in `action_types`; 0 when none match. `value` is the row's default attribution
    (the account's unified setting); the per-window keys stay in the raw table.
    The target stores these lists as JSON (an array of objects with decimal strings), in BigQuery
    and in DuckDB alike; casting to JSON first also accepts a DuckDB STRUCT[] column. DuckDB
    lambdas use the `lambda x: …` form: the `x -> …` arrow is deprecated since DuckDB 1.3 and an
    error in 2.0. -#}
{% macro sum_action_values(column, action_types) %}{{ return(adapter.dispatch('sum_action_values', 'fb_ads_elt')(column, action_types)) }}{% endmacro %}

{% macro bigquery__sum_action_values(column, action_types) -%}
coalesce((
    select sum(cast(json_value(action, '$.value') as numeric))
    from unnest(json_query_array({{ column }})) as action
    where json_value(action, '$.action_type') in ({{ quoted_list(action_types) }})
), 0)
{%- endmacro %}

{% macro duckdb__sum_action_values(column, action_types) -%}
coalesce(list_sum(list_transform(
    list_filter(
        from_json(cast({{ column }} as json), '[{"action_type": "VARCHAR", "value": "VARCHAR"}]'),
        lambda action: action.action_type in ({{ quoted_list(action_types) }})
    ),
    lambda action: cast(action.value as decimal(38, 9))
)), 0)
{%- endmacro %}

{% macro quoted_list(values) -%}
{%- if values | length == 0 -%}{{ exceptions.raise_compiler_error('the action type list is empty') }}{%- endif -%}
{%- for v in values -%}'{{ v | replace("'", "''") }}'{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
