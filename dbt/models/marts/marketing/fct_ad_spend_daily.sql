{#- Cross-channel daily spend. Grain: platform × account_id × campaign_id × date_day, where
    date_day is the platform account's own day (not normalised to one zone: see DECISIONLOG).
    spend stays in the account currency; spend_reporting is spend in var('reporting_currency')
    at that day's rate (or the latest earlier one, see int_fx_rates__as_of); NULL when no rate. -#}
{%- set reporting = var('reporting_currency') -%}
with spend as (

    select * from {{ ref('int_ad_spend__unioned') }}

),

fx as (

    select * from {{ ref('int_fx_rates__as_of') }}

)

select
    spend.platform || '|' || spend.account_id || '|' || spend.campaign_id || '|' || cast(spend.date_day as string) as ad_spend_id,
    spend.date_day,
    spend.platform,
    spend.platform_label,
    spend.account_id,
    spend.campaign_id,
    spend.campaign_name,
    spend.currency,
    spend.spend,
    case
        when spend.currency = '{{ reporting }}' then spend.spend
        else cast(round(spend.spend * source_rate.usd_per_unit / reporting_rate.usd_per_unit, 9) as {{ type_money() }})
    end as spend_reporting,
    '{{ reporting }}' as reporting_currency,
    case when spend.currency = '{{ reporting }}' then spend.date_day else source_rate.rate_date end as fx_rate_date,
    spend.impressions,
    spend.clicks,
    spend.conversions
from spend
left join fx as source_rate
    on source_rate.date_day = spend.date_day
    and source_rate.currency = spend.currency
left join fx as reporting_rate
    on reporting_rate.date_day = spend.date_day
    and reporting_rate.currency = '{{ reporting }}'
