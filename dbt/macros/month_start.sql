{#- First day of the month of a DATE. DuckDB's date_trunc returns a TIMESTAMP, hence the cast. -#}
{% macro month_start(date_expr) %}{{ return(adapter.dispatch('month_start', 'fb_ads_elt')(date_expr)) }}{% endmacro %}
{% macro default__month_start(date_expr) %}date_trunc({{ date_expr }}, month){% endmacro %}
{% macro duckdb__month_start(date_expr) %}cast(date_trunc('month', {{ date_expr }}) as date){% endmacro %}

{#- Last day of the month of a DATE. -#}
{% macro month_end(date_expr) %}{{ return(adapter.dispatch('month_end', 'fb_ads_elt')(date_expr)) }}{% endmacro %}
{% macro default__month_end(date_expr) %}last_day({{ date_expr }}, month){% endmacro %}
{% macro duckdb__month_end(date_expr) %}last_day({{ date_expr }}){% endmacro %}
