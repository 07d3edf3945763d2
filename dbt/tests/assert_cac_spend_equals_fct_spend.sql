{#- The blended CAC numerator is all converted spend: over the months that have ended, Σ
    fct_cac_monthly.spend equals Σ fct_ad_spend_daily.spend_reporting, and new customers equal the
    first-order count (the month to date counts only days up to its as_of_date). -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with cac as (

    select coalesce(sum(spend), 0) as spend, coalesce(sum(new_customers), 0) as new_customers
    from {{ ref('fct_cac_monthly') }}
    where not is_month_to_date

),

ended as (

    select month_start
    from {{ ref('fct_cac_monthly') }}
    where not is_month_to_date

),

fact as (

    select coalesce(sum(spend_reporting), 0) as spend
    from {{ ref('fct_ad_spend_daily') }}
    where {{ month_start('date_day') }} in (select month_start from ended)

),

customers as (

    select count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}
    where acquisition_month in (select month_start from ended)

)

select cac.spend, fact.spend as fact_spend, cac.new_customers, customers.new_customers as first_orders
from cac
cross join fact
cross join customers
where cac.spend != fact.spend
    or cac.new_customers != customers.new_customers
