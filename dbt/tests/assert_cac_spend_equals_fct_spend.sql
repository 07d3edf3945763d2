{#- The blended CAC numerator is all converted spend: for every month that has ended,
    fct_cac_monthly.spend equals that month's Σ fct_ad_spend_daily.spend_reporting, and its new
    customers the month's first-order count (the month to date counts only days up to its
    as_of_date, so it is left out). Per month, not over all months: spend or customers counted in
    the wrong month (a day or an order cut into the neighbouring month) keep the totals equal. A
    month with spend or first orders and no row at all is listed too. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with cac as (

    select month_start, is_month_to_date, coalesce(spend, 0) as spend, new_customers
    from {{ ref('fct_cac_monthly') }}

),

fact as (

    select {{ month_start('date_day') }} as month_start, coalesce(sum(spend_reporting), 0) as spend
    from {{ ref('fct_ad_spend_daily') }}
    group by 1

),

customers as (

    select acquisition_month as month_start, count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}
    group by 1

),

months as (

    select distinct month_start
    from (
        select month_start from cac
        union all
        select month_start from fact
        union all
        select month_start from customers
    ) as all_months

)

select
    months.month_start,
    cac.spend,
    fact.spend as fact_spend,
    cac.new_customers,
    customers.new_customers as first_orders
from months
left join cac on cac.month_start = months.month_start
left join fact on fact.month_start = months.month_start
left join customers on customers.month_start = months.month_start
where not coalesce(cac.is_month_to_date, false)
    and (cac.month_start is null
        or cac.spend != coalesce(fact.spend, 0)
        or cac.new_customers != coalesce(customers.new_customers, 0))
