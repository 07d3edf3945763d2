{#- Blended customer acquisition cost per month: all ad spend (every platform, in the reporting
    currency, refunds/credits netted) / customers whose first qualifying order is in that month.
    Spend is tracked from the first to the last month with any spend row; outside that window
    spend and CAC are NULL (unknown, not 0). CAC is NULL too when there are no new customers or
    no spend row of the month could be converted. Months are calendar months (see DECISIONLOG,
    "Time zones"). spend_rows_without_fx flags a month whose spend lacks an FX rate. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with spend as (

    select
        {{ month_start('date_day') }} as month_start,
        sum(spend_reporting) as spend,
        count(*) - count(spend_reporting) as spend_rows_without_fx
    from {{ ref('fct_ad_spend_daily') }}
    group by 1

),

tracked as (

    select
        min(month_start) as first_month,
        max(month_start) as last_month
    from spend

),

customers as (

    select
        acquisition_month as month_start,
        count(*) as new_customers
    from {{ ref('int_customers__first_orders') }}
    group by 1

),

months as (

    select distinct month_start
    from (
        select month_start from spend
        union all
        select month_start from customers
    ) as all_months

),

joined as (

    select
        months.month_start,
        coalesce(months.month_start between tracked.first_month and tracked.last_month, false) as is_spend_tracked,
        spend.month_start is not null as has_spend_rows,
        spend.spend,
        coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx,
        coalesce(customers.new_customers, 0) as new_customers
    from months
    cross join tracked
    left join spend
        on spend.month_start = months.month_start
    left join customers
        on customers.month_start = months.month_start

)

select
    month_start,
    '{{ var('reporting_currency') }}' as reporting_currency,
    '{{ reporting_time_zone() }}' as reporting_time_zone,
    is_spend_tracked,
    {{ cac_measures() }}
from joined
