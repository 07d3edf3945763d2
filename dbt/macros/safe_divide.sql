{#- a / b, NULL when b is 0 or NULL (never a division error). Used for CAC and cost ratios. -#}
{% macro safe_divide(numerator, denominator) %}{{ return(adapter.dispatch('safe_divide', 'fb_ads_elt')(numerator, denominator)) }}{% endmacro %}
{% macro default__safe_divide(numerator, denominator) %}safe_divide({{ numerator }}, {{ denominator }}){% endmacro %}
{% macro duckdb__safe_divide(numerator, denominator) %}({{ numerator }}) / nullif({{ denominator }}, 0){% endmacro %}
