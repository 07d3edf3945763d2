{#- Blended customer acquisition cost per month: all ad spend (every platform, in the reporting
    currency, refunds/credits netted) / customers whose first qualifying order is in that month.
    A month is tracked only when every platform with spend rows (in any month) covers all of its
    days (macros/spend_coverage.sql): a blend missing a platform, or part of one, understates
    spend, so its CAC is NULL, never the understated ratio. platforms_missing / platforms_partial
    and spend_coverage_ratio say why a month is not tracked. spend is what the month's rows hold
    (incomplete when not tracked; NULL when it has none and is not tracked, 0 when tracked). CAC
    is NULL too when there are no new customers or no spend row of the month could be converted.
    Months are calendar months (see DECISIONLOG, "Time zones"). spend_rows_without_fx flags a
    month whose spend lacks an FX rate. -#}
{{ config(enabled=cac_orders_relation_name() is not none) }}
with spend as (

    select
        {{ month_start('date_day') }} as month_start,
        sum(spend_reporting) as spend,
        count(*) - count(spend_reporting) as spend_rows_without_fx
    from {{ ref('fct_ad_spend_daily') }}
    group by 1

),

platforms as (

    {{ spend_coverage_platforms() }}

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

platform_months as (

    select
        months.month_start,
        platforms.platform,
        {{ days_in_month('months.month_start') }} as days_in_month,
        {{ days_spend_covered('platforms.first_day', 'platforms.last_day', 'months.month_start') }} as days_covered
    from months
    cross join platforms

),

coverage as (

    select
        month_start,
        count(*) as platforms_expected,
        count(case when days_covered = days_in_month then 1 end) as platforms_covering,
        string_agg(case when days_covered = 0 then platform end, ', ' order by platform) as platforms_missing,
        string_agg(case when days_covered > 0 and days_covered < days_in_month then platform end, ', ' order by platform) as platforms_partial,
        cast(round(sum(days_covered) / sum(days_in_month), 4) as {{ type_money() }}) as spend_coverage_ratio
    from platform_months
    group by 1

),

joined as (

    select
        months.month_start,
        coalesce(coverage.platforms_covering = coverage.platforms_expected, false) as is_spend_tracked,
        coalesce(coverage.platforms_expected, 0) as platforms_expected,
        coverage.platforms_missing,
        coverage.platforms_partial,
        coalesce(coverage.spend_coverage_ratio, 0) as spend_coverage_ratio,
        spend.month_start is not null as has_spend_rows,
        spend.spend,
        coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx,
        coalesce(customers.new_customers, 0) as new_customers
    from months
    left join coverage
        on coverage.month_start = months.month_start
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
    platforms_expected,
    platforms_missing,
    platforms_partial,
    spend_coverage_ratio,
    {{ cac_measures() }}
from joined
