{#- CAC per acquisition channel and month: a platform's spend / the new customers whose first
    qualifying order is attributed to that platform (the order's acquisition_channel equals the
    platform name: last-touch as recorded by the shop). Channels with customers but no spend
    (organic, referral) get spend 0; platforms with spend but no customers get CAC NULL. -#}
with spend as (

    select
        {{ month_start('date_day') }} as month_start,
        platform as channel,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend_daily') }}
    group by 1, 2

),

customers as (

    select
        acquisition_month as month_start,
        acquisition_channel as channel,
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

)

select
    keys.month_start,
    keys.channel,
    '{{ var('reporting_currency') }}' as reporting_currency,
    coalesce(spend.spend, 0) as spend,
    coalesce(customers.new_customers, 0) as new_customers,
    cast({{ safe_divide('coalesce(spend.spend, 0)', 'customers.new_customers') }} as {{ type_money() }}) as cac
from keys
left join spend
    on spend.month_start = keys.month_start
    and spend.channel = keys.channel
left join customers
    on customers.month_start = keys.month_start
    and customers.channel = keys.channel
