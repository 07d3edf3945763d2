{#- Blended customer acquisition cost per month: all ad spend (every platform, in the reporting
    currency, refunds/credits netted) / customers whose first qualifying order is in that month.
    A month is tracked only when every platform (with spend rows or declared coverage in any
    month) read every day of it (int_ad_coverage__monthly, rule in macros/spend_coverage.sql): a
    blend missing a platform, or part of one, understates spend, so its CAC is NULL, never the
    understated ratio. platforms_missing / platforms_partial and spend_coverage_ratio say why;
    unread_accounts names the accounts whose every read that month failed (sync_log), which make
    their platform partial: their spend is unknown, not zero.
    The run day's month (the run clock: var('run_date') or FB_ADS_ELT_NOW) is the month to date:
    its spend and new customers run from the 1st to as_of_date, the last day before the run day
    up to which every platform read every day, and its CAC is that ratio, labelled by
    is_month_to_date. spend is what the month's rows hold up to as_of_date (all of them when not
    tracked: incomplete; NULL when there are none and the month is not tracked, 0 when tracked).
    CAC is NULL too when there are no new customers or no spend row could be converted. Months
    are calendar months (see DECISIONLOG, "Time zones"). -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with spend_days as (

    select
        {{ month_start('date_day') }} as month_start,
        date_day,
        platform,
        spend_reporting
    from {{ ref('fct_ad_spend_daily') }}

),

coverage as (

    select * from {{ ref('int_ad_coverage__monthly') }}

),

first_orders as (

    select
        acquisition_month as month_start,
        acquisition_date
    from {{ ref('int_customers__first_orders') }}

),

platforms as (

    select distinct platform
    from (
        select platform from spend_days
        union all
        select platform from coverage
    ) as all_platforms

),

months as (

    -- A month some platform read is a row even with neither spend nor new customers (all campaigns
    -- paused, no sales): spend 0 when read in full, never a gap in the monthly series.
    select distinct month_start
    from (
        select month_start from spend_days
        union all
        select month_start from first_orders
        union all
        select month_start from coverage
    ) as all_months

),

platform_months as (

    select
        months.month_start,
        platforms.platform,
        {{ days_in_coverage_period('months.month_start') }} as days_in_period,
        coalesce(coverage.days_covered, 0) as days_covered,
        coverage.unread_account_ids,
        coverage.as_of_date
    from months
    cross join platforms
    left join coverage
        on coverage.month_start = months.month_start
        and coverage.platform = platforms.platform

),

platform_coverage as (

    select
        month_start,
        count(*) as platforms_expected,
        case when count(as_of_date) = count(*) then min(as_of_date) end as as_of_date,
        string_agg(case when days_covered = 0 and unread_account_ids is null then platform end, ', ' order by platform) as platforms_missing,
        string_agg(
            case when (days_covered > 0 and days_covered < days_in_period) or unread_account_ids is not null then platform end, ', ' order by platform
        ) as platforms_partial,
        string_agg(case when unread_account_ids is not null then platform || ': ' || unread_account_ids end, '; ' order by platform) as unread_accounts,
        cast(round(sum(days_covered) / nullif(sum(days_in_period), 0), 4) as {{ type_money() }}) as spend_coverage_ratio
    from platform_months
    group by 1

),

periods as (

    select
        months.month_start,
        {{ is_month_to_date('months.month_start') }} as is_month_to_date,
        platform_coverage.as_of_date,
        platform_coverage.as_of_date is not null as is_spend_tracked,
        coalesce(platform_coverage.platforms_expected, 0) as platforms_expected,
        platform_coverage.platforms_missing,
        platform_coverage.platforms_partial,
        platform_coverage.unread_accounts,
        coalesce(platform_coverage.spend_coverage_ratio, 0) as spend_coverage_ratio,
        -- The last day counted: as_of_date when tracked, the month's last day otherwise.
        coalesce(platform_coverage.as_of_date, {{ month_end('months.month_start') }}) as counted_through
    from months
    left join platform_coverage
        on platform_coverage.month_start = months.month_start

),

{{ cac_counted_ctes() }}

select
    month_start,
    '{{ var('reporting_currency') }}' as reporting_currency,
    '{{ reporting_time_zone() }}' as reporting_time_zone,
    is_month_to_date,
    as_of_date,
    is_spend_tracked,
    platforms_expected,
    platforms_missing,
    platforms_partial,
    unread_accounts,
    spend_coverage_ratio,
    {{ cac_measures() }}
from joined
