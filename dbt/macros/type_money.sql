{#- Exact decimal type for money. BigQuery NUMERIC is DECIMAL(38,9); DuckDB's bare NUMERIC is
    DECIMAL(18,3), which would round cents-per-mille and FX rates, so spell the precision out. -#}
{% macro type_money() %}{{ return(adapter.dispatch('type_money', 'fb_ads_elt')()) }}{% endmacro %}
{% macro default__type_money() %}numeric{% endmacro %}
{% macro duckdb__type_money() %}decimal(38, 9){% endmacro %}
