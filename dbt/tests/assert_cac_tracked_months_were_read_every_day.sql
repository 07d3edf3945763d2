{#- A month whose blended CAC is tracked must have every platform's spend read for every day it
    counts (the 1st to as_of_date) for every account that platform reads that month (read on some
    day of it, or whose every read of it failed), independently of how int_ad_coverage__monthly
    decides it: lists each tracked month, platform and account with a day in that range it never
    read (account NULL: the platform read nothing that month). Per account, not per platform: a day
    one account read does not cover another's spend of that day. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with platforms as (

    select distinct platform
    from (
        select platform from {{ ref('fct_ad_spend_daily') }}
        union all
        select platform from {{ ref('int_ad_coverage__unioned') }}
    ) as all_platforms

),

expected_accounts as (

    select distinct platform, account_id, month_start
    from (
        select platform, account_id, {{ month_start('date_day') }} as month_start
        from {{ ref('int_ad_coverage__unioned') }}
        union all
        select platform, account_id, month_start
        from {{ ref('int_ad_coverage__facebook_ads_unread') }}
    ) as read_or_tried

),

checked as (

    select cac.month_start, cac.as_of_date, platforms.platform, expected_accounts.account_id
    from {{ ref('fct_cac_monthly') }} as cac
    cross join platforms
    left join expected_accounts
        on expected_accounts.platform = platforms.platform
        and expected_accounts.month_start = cac.month_start
    where cac.is_spend_tracked

),

days_read as (

    select coverage.platform, coverage.account_id, cac.month_start, count(distinct coverage.date_day) as days
    from {{ ref('int_ad_coverage__unioned') }} as coverage
    inner join {{ ref('fct_cac_monthly') }} as cac
        on coverage.date_day between cac.month_start and cac.as_of_date
    group by coverage.platform, coverage.account_id, cac.month_start

)

select checked.month_start, checked.platform, checked.account_id, days_read.days, checked.as_of_date
from checked
left join days_read
    on days_read.month_start = checked.month_start
    and days_read.platform = checked.platform
    and days_read.account_id = checked.account_id
where coalesce(days_read.days, 0) != {{ dbt.datediff('checked.month_start', 'checked.as_of_date', 'day') }} + 1
