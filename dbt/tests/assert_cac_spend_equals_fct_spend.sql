{#- The blended CAC numerator is all converted spend: Σ fct_cac_monthly.spend equals
    Σ fct_ad_spend_daily.spend_reporting, and new customers equal the first-order count. -#}
with cac as (

    select coalesce(sum(spend), 0) as spend, coalesce(sum(new_customers), 0) as new_customers
    from {{ ref('fct_cac_monthly') }}

),

fact as (

    select coalesce(sum(spend_reporting), 0) as spend
    from {{ ref('fct_ad_spend_daily') }}

),

customers as (

    select count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}

)

select cac.spend, fact.spend as fact_spend, cac.new_customers, customers.new_customers as first_orders
from cac
cross join fact
cross join customers
where cac.spend != fact.spend
    or cac.new_customers != customers.new_customers
