{#- Spend coverage per platform and month, the rule of macros/spend_coverage.sql applied once for
    both CAC marts. A platform covers a day when every account it read on some day of that month
    was read on that day (an account read in no day of the month, e.g. closed before it, is not
    expected; one whose read failed for some days leaves those days uncovered; one whose every read
    that month failed, int_ad_coverage__facebook_ads_unread, is expected too, so no day is covered:
    the sync_log tells it from an account no longer read). Only days up to
    the month's coverage period end count (the day before the run day in the month to date).
    covered_through: the last day of an unbroken run of covered days from the 1st. as_of_date:
    the last day whose spend counts for the month: its last day when covered through it; for the
    month to date, covered_through (spend so far); NULL otherwise. A view, not ephemeral like the
    other int_ models: dbt can only unit-test a model whose relation exists. -#}
{{ config(materialized='view') }}
with coverage as (

    select
        platform,
        account_id,
        date_day,
        {{ month_start('date_day') }} as month_start
    from {{ ref('int_ad_coverage__unioned') }}

),

unread as (

    select platform, account_id, month_start
    from {{ ref('int_ad_coverage__facebook_ads_unread') }}

),

accounts_in_month as (

    select
        platform,
        month_start,
        count(distinct case when is_read then account_id end) as accounts_read,
        count(distinct case when not is_read then account_id end) as accounts_unread,
        string_agg(case when not is_read then account_id end, ', ' order by account_id) as unread_account_ids
    from (
        select distinct platform, month_start, account_id, true as is_read from coverage
        union all
        select platform, month_start, account_id, false as is_read from unread
    ) as expected_accounts
    group by 1, 2

),

platform_days as (

    select
        platform,
        month_start,
        date_day,
        count(distinct account_id) as accounts_covering
    from coverage
    group by 1, 2, 3

),

covered_days as (

    select
        platform_days.platform,
        platform_days.month_start,
        platform_days.date_day,
        row_number() over (partition by platform_days.platform, platform_days.month_start order by platform_days.date_day) as day_rank
    from platform_days
    inner join accounts_in_month
        on accounts_in_month.platform = platform_days.platform
        and accounts_in_month.month_start = platform_days.month_start
    where platform_days.accounts_covering = accounts_in_month.accounts_read + accounts_in_month.accounts_unread
        and platform_days.date_day <= {{ coverage_period_end('platform_days.month_start') }}

),

days_by_month as (

    select
        platform,
        month_start,
        count(*) as days_covered,
        max(case when day_rank = {{ dbt.datediff('month_start', 'date_day', 'day') }} + 1 then date_day end) as covered_through
    from covered_days
    group by 1, 2

),

monthly as (

    select
        accounts_in_month.platform,
        accounts_in_month.month_start,
        accounts_in_month.accounts_read,
        accounts_in_month.accounts_unread,
        accounts_in_month.unread_account_ids,
        coalesce(days_by_month.days_covered, 0) as days_covered,
        days_by_month.covered_through
    from accounts_in_month
    left join days_by_month
        on days_by_month.platform = accounts_in_month.platform
        and days_by_month.month_start = accounts_in_month.month_start

)

select
    platform,
    month_start,
    {{ is_month_to_date('month_start') }} as is_month_to_date,
    {{ days_in_month('month_start') }} as days_in_month,
    {{ days_in_coverage_period('month_start') }} as days_in_period,
    accounts_read,
    accounts_unread,
    unread_account_ids,
    days_covered,
    covered_through,
    case
        when {{ is_month_to_date('month_start') }} or covered_through = {{ month_end('month_start') }} then covered_through
    end as as_of_date
from monthly
