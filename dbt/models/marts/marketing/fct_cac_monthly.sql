{#- Blended customer acquisition cost per month: all ad spend (every platform, in the reporting
    currency, refunds/credits netted) / customers whose first qualifying order is in that month.
    Months with spend and no new customers, or customers and no spend, both appear; CAC is NULL
    when there are no new customers (never a division error). Spend months are the platforms'
    account-zone months; customer months are in var('cac_time_zone'). -#}
with spend as (

    select
        {{ month_start('date_day') }} as month_start,
        sum(spend_reporting) as spend,
        count(*) - count(spend_reporting) as spend_rows_without_fx
    from {{ ref('fct_ad_spend_daily') }}
    group by 1

),

customers as (

    select
        acquisition_month as month_start,
        count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}
    group by 1

),

months as (

    select month_start from spend
    union all
    select month_start from customers

)

select
    months.month_start,
    '{{ var('reporting_currency') }}' as reporting_currency,
    coalesce(spend.spend, 0) as spend,
    coalesce(customers.new_customers, 0) as new_customers,
    cast({{ safe_divide('coalesce(spend.spend, 0)', 'customers.new_customers') }} as {{ type_money() }}) as cac,
    coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx
from (select distinct month_start from months) as months
left join spend
    on spend.month_start = months.month_start
left join customers
    on customers.month_start = months.month_start
