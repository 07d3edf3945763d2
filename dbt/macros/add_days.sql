{#- A DATE moved by a whole number of days (negative = earlier). -#}
{% macro add_days(date_expr, days) %}{{ return(adapter.dispatch('add_days', 'fb_ads_elt')(date_expr, days)) }}{% endmacro %}
{% macro default__add_days(date_expr, days) %}date_add({{ date_expr }}, interval {{ days }} day){% endmacro %}
{% macro duckdb__add_days(date_expr, days) %}cast({{ date_expr }} + to_days(cast({{ days }} as integer)) as date){% endmacro %}
