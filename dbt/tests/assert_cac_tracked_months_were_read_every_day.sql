{#- A month whose blended CAC is tracked must have every platform's spend read for every day it
    counts (the 1st to as_of_date), independently of how int_ad_coverage__monthly decides it:
    lists each tracked month and the platform with a day in that range it never read. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with platforms as (

    select distinct platform
    from (
        select platform from {{ ref('fct_ad_spend_daily') }}
        union all
        select platform from {{ ref('int_ad_coverage__unioned') }}
    ) as all_platforms

),

days_read as (

    select platform, count(distinct date_day) as days, min(date_day) as first_day, max(date_day) as last_day, cac.month_start
    from {{ ref('int_ad_coverage__unioned') }} as coverage
    inner join {{ ref('fct_cac_monthly') }} as cac
        on coverage.date_day between cac.month_start and cac.as_of_date
    group by platform, cac.month_start

)

select cac.month_start, platforms.platform, days_read.days, cac.as_of_date
from {{ ref('fct_cac_monthly') }} as cac
cross join platforms
left join days_read
    on days_read.month_start = cac.month_start
    and days_read.platform = platforms.platform
where cac.is_spend_tracked
    and coalesce(days_read.days, 0) != {{ dbt.datediff('cac.month_start', 'cac.as_of_date', 'day') }} + 1
