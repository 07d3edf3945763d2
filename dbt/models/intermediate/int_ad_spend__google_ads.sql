{#- Google Ads (demo seed, built only when var('fb_ads_elt__demo') is on; shaped like the Google Ads API campaign report) in the cross-channel
    contract. Google reports cost in micros of the customer currency and days in the customer's
    time zone, which stays as is (see DECISIONLOG "Time zones"). -#}
{{ config(enabled=demo_enabled()) }}
select
    cast({{ demo_seed_shifted('date') }} as date) as date_day,
    'google_ads' as platform,
    'Google Ads' as platform_label,
    cast(customer_id as string) as account_id,
    cast(campaign_id as string) as campaign_id,
    campaign_name,
    currency_code as currency,
    cast(cast(cost_micros as {{ type_money() }}) / 1000000 as {{ type_money() }}) as spend,
    cast(impressions as int64) as impressions,
    cast(clicks as int64) as clicks,
    cast(conversions as {{ type_money() }}) as conversions
from {{ ref('google_ads__campaign_stats_daily') }}
where {{ demo_seed_until_today(demo_seed_shifted('date')) }}
