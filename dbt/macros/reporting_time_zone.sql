{#- The zone of the one time-zone rule (months are calendar months there): var('reporting_time_zone'),
    else var('cac_time_zone') (its name before it covered spend months too), else UTC. -#}
{% macro reporting_time_zone() %}{{ return(var('reporting_time_zone', none) or var('cac_time_zone', none) or 'UTC') }}{% endmacro %}
