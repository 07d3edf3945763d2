{#- An instant in time. BigQuery TIMESTAMP is always UTC; the DuckDB equivalent is TIMESTAMPTZ
    (plain TIMESTAMP there has no zone and would shift with the session time zone). -#}
{% macro type_timestamp() %}{{ return(adapter.dispatch('type_timestamp', 'fb_ads_elt')()) }}{% endmacro %}
{% macro default__type_timestamp() %}timestamp{% endmacro %}
{% macro duckdb__type_timestamp() %}timestamptz{% endmacro %}
