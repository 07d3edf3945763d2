{#- An instant in time. BigQuery TIMESTAMP is always UTC; the DuckDB equivalent is TIMESTAMPTZ
    (plain TIMESTAMP there has no zone and would shift with the session time zone). Not called
    type_timestamp: that name is dbt's own cross-database macro, which this one must not shadow. -#}
{% macro type_instant() %}{{ return(adapter.dispatch('type_instant', 'fb_ads_elt')()) }}{% endmacro %}
{% macro default__type_instant() %}timestamp{% endmacro %}
{% macro duckdb__type_instant() %}timestamptz{% endmacro %}
