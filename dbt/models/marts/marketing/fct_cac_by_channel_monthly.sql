{#- CAC per acquisition channel and month: a platform's spend / the new customers whose first
    qualifying order maps to that platform (int_customers__first_orders.channel: the shop's
    last-touch channel through var('cac_channel_platforms')). A platform's month is tracked only
    when the platform covers all of its days (macros/spend_coverage.sql; days_spend_covered of
    days_in_month says how much it covers); otherwise CAC is NULL, never the ratio of part of a
    month's spend. Channels that never have spend (organic, email, unattributed) have spend and
    CAC NULL, never 0. CAC is NULL too in months without new customers on the channel. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with spend as (

    select
        {{ month_start('date_day') }} as month_start,
        platform as channel,
        sum(spend_reporting) as spend,
        count(*) - count(spend_reporting) as spend_rows_without_fx
    from {{ ref('fct_ad_spend_daily') }}
    group by 1, 2

),

platforms as (

    {{ spend_coverage_platforms() }}

),

customers as (

    select
        acquisition_month as month_start,
        channel,
        count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}
    group by 1, 2

),

keys as (

    select distinct month_start, channel
    from (
        select month_start, channel from spend
        union all
        select month_start, channel from customers
    ) as all_keys

),

joined as (

    select
        keys.month_start,
        keys.channel,
        platforms.platform is not null as is_paid_channel,
        {{ days_in_month('keys.month_start') }} as days_in_month,
        {{ days_spend_covered('platforms.first_day', 'platforms.last_day', 'keys.month_start') }} as days_spend_covered,
        spend.month_start is not null as has_spend_rows,
        spend.spend,
        coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx,
        coalesce(customers.new_customers, 0) as new_customers
    from keys
    left join platforms
        on platforms.platform = keys.channel
    left join spend
        on spend.month_start = keys.month_start
        and spend.channel = keys.channel
    left join customers
        on customers.month_start = keys.month_start
        and customers.channel = keys.channel

),

classified as (

    select
        *,
        days_spend_covered = days_in_month as is_spend_tracked
    from joined

)

select
    month_start,
    channel,
    '{{ var('reporting_currency') }}' as reporting_currency,
    '{{ reporting_time_zone() }}' as reporting_time_zone,
    is_paid_channel,
    is_spend_tracked,
    days_spend_covered,
    days_in_month,
    {{ cac_measures() }}
from classified
