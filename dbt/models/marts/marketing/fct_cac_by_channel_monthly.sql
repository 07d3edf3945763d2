{#- CAC per acquisition channel and month: a platform's spend / the new customers whose first
    qualifying order maps to that platform (int_customers__first_orders.channel: the shop's
    last-touch channel through var('cac_channel_platforms')). A platform's month is tracked only
    when the platform read all of its days (int_ad_coverage__monthly, rule in
    macros/spend_coverage.sql; days_spend_covered of days_in_month says how much it read, and
    unread_account_ids which accounts' every read that month failed, so no day is covered);
    otherwise CAC is NULL, never the ratio of part of a month's spend. The run day's month is the
    month to date (is_month_to_date): spend and new customers from the 1st to as_of_date, the last
    day before the run day up to which the platform read every day. Channels that never have
    spend (organic, email, unattributed) have spend and CAC NULL, never 0. CAC is NULL too in
    months without new customers on the channel. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with spend_days as (

    select
        {{ month_start('date_day') }} as month_start,
        date_day,
        platform as channel,
        spend_reporting
    from {{ ref('fct_ad_spend_daily') }}

),

coverage as (

    select * from {{ ref('int_ad_coverage__monthly') }}

),

first_orders as (

    select
        acquisition_month as month_start,
        acquisition_date,
        channel
    from {{ ref('int_customers__first_orders') }}

),

platforms as (

    select distinct platform
    from (
        select channel as platform from spend_days
        union all
        select platform from coverage
    ) as all_platforms

),

keys as (

    -- A platform's month it read is a row even with neither spend nor new customers on it (spend 0
    -- when read in full), as in fct_cac_monthly.
    select distinct month_start, channel
    from (
        select month_start, channel from spend_days
        union all
        select month_start, channel from first_orders
        union all
        select month_start, platform as channel from coverage
    ) as all_keys

),

periods as (

    select
        keys.month_start,
        keys.channel,
        platforms.platform is not null as is_paid_channel,
        {{ is_month_to_date('keys.month_start') }} as is_month_to_date,
        coverage.as_of_date,
        coverage.as_of_date is not null as is_spend_tracked,
        coalesce(coverage.days_covered, 0) as days_spend_covered,
        coverage.unread_account_ids,
        {{ days_in_month('keys.month_start') }} as days_in_month,
        -- The last day counted: as_of_date when tracked, the month's last day otherwise.
        coalesce(coverage.as_of_date, {{ month_end('keys.month_start') }}) as counted_through
    from keys
    left join platforms
        on platforms.platform = keys.channel
    left join coverage
        on coverage.month_start = keys.month_start
        and coverage.platform = keys.channel

),

{{ cac_counted_ctes(by=['channel']) }}

select
    month_start,
    channel,
    '{{ var('reporting_currency') }}' as reporting_currency,
    '{{ reporting_time_zone() }}' as reporting_time_zone,
    is_paid_channel,
    is_month_to_date,
    as_of_date,
    is_spend_tracked,
    days_spend_covered,
    days_in_month,
    unread_account_ids,
    {{ cac_measures() }}
from joined
