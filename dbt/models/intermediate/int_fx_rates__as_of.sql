{#- One rate per (day, currency) that spend needs, plus the reporting currency itself: the rate
    of that day, else the latest earlier one at most var('fx_max_staleness_days') old (weekends
    and holidays have no fixing). Older or missing = no row, so the converted spend is NULL
    rather than silently wrong. Rates are USD per unit; USD itself is always 1. -#}
{%- set reporting = var('reporting_currency') -%}
with needed as (

    select distinct date_day, currency
    from (
        select date_day, currency from {{ ref('int_ad_spend__unioned') }}
        union all
        select date_day, '{{ reporting }}' as currency from {{ ref('int_ad_spend__unioned') }}
    ) as pairs

),

rates as (

    select rate_date, currency, usd_per_unit from {{ ref('stg_fx__rates_daily') }}
    union all
    select distinct date_day as rate_date, 'USD' as currency, cast(1 as {{ type_money() }}) as usd_per_unit
    from needed

),

candidates as (

    select
        needed.date_day,
        needed.currency,
        rates.rate_date,
        rates.usd_per_unit,
        row_number() over (
            partition by needed.date_day, needed.currency
            order by rates.rate_date desc
        ) as recency
    from needed
    inner join rates
        on rates.currency = needed.currency
        and rates.rate_date <= needed.date_day
        and rates.rate_date >= {{ add_days('needed.date_day', -var('fx_max_staleness_days')) }}

)

select date_day, currency, rate_date, usd_per_unit
from candidates
where recency = 1
