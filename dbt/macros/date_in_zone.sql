{#- The calendar date of an instant as seen in an IANA time zone ('Europe/Berlin'). -#}
{% macro date_in_zone(ts_expr, time_zone) %}{{ return(adapter.dispatch('date_in_zone', 'fb_ads_elt')(ts_expr, time_zone)) }}{% endmacro %}
{% macro default__date_in_zone(ts_expr, time_zone) %}date({{ ts_expr }}, '{{ time_zone }}'){% endmacro %}
{% macro duckdb__date_in_zone(ts_expr, time_zone) %}cast(timezone('{{ time_zone }}', cast({{ ts_expr }} as timestamptz)) as date){% endmacro %}
