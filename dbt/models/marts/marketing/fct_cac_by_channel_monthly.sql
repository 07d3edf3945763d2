{#- CAC per acquisition channel and month: a platform's spend / the new customers whose first
    qualifying order maps to that platform (int_customers__first_orders.channel: the shop's
    last-touch channel through var('cac_channel_platforms')). A platform's spend is tracked from its
    first to its last month with spend rows; outside that window, and for channels that never
    have spend (organic, email, unattributed), spend and CAC are NULL, never 0. CAC is NULL too in
    months without new customers on the channel. -#}
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

tracked as (

    select
        channel,
        min(month_start) as first_month,
        max(month_start) as last_month
    from spend
    group by 1

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
        tracked.channel is not null as is_paid_channel,
        coalesce(keys.month_start between tracked.first_month and tracked.last_month, false) as is_spend_tracked,
        spend.month_start is not null as has_spend_rows,
        spend.spend,
        coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx,
        coalesce(customers.new_customers, 0) as new_customers
    from keys
    left join tracked
        on tracked.channel = keys.channel
    left join spend
        on spend.month_start = keys.month_start
        and spend.channel = keys.channel
    left join customers
        on customers.month_start = keys.month_start
        and customers.channel = keys.channel

)

select
    month_start,
    channel,
    '{{ var('reporting_currency') }}' as reporting_currency,
    '{{ reporting_time_zone() }}' as reporting_time_zone,
    is_paid_channel,
    is_spend_tracked,
    {{ cac_measures() }}
from joined
