{#- A scalar from a JSON column as a string, e.g. the creative id inside ads.creative. -#}
{% macro json_string(column, path) %}{{ return(adapter.dispatch('json_string', 'fb_ads_elt')(column, path)) }}{% endmacro %}
{% macro default__json_string(column, path) %}json_value({{ column }}, '{{ path }}'){% endmacro %}
{% macro duckdb__json_string(column, path) %}json_extract_string({{ column }}, '{{ path }}'){% endmacro %}
