{#- A month whose blended CAC is tracked must have every platform's spend for all of its days:
    no platform may start (first spend row) after the month's first day or stop (last spend row)
    before its last. Lists each tracked month and the platform that does not cover it. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with platforms as (

    select platform, min(date_day) as first_day, max(date_day) as last_day
    from {{ ref('fct_ad_spend_daily') }}
    group by 1

)

select cac.month_start, platforms.platform, platforms.first_day, platforms.last_day
from {{ ref('fct_cac_monthly') }} as cac
cross join platforms
where cac.is_spend_tracked
    and (platforms.first_day > cac.month_start or platforms.last_day < {{ month_end('cac.month_start') }})
