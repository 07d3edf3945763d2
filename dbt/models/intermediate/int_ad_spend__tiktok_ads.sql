{#- TikTok Ads (demo seed, built only when var('fb_ads_elt__demo') is on; shaped like TikTok's BASIC campaign report) in the cross-channel
    contract. `stat_time_day` is the advertiser-time-zone day. -#}
{{ config(enabled=demo_enabled()) }}
select
    cast({{ demo_seed_shifted('stat_time_day') }} as date) as date_day,
    'tiktok_ads' as platform,
    'TikTok Ads' as platform_label,
    cast(advertiser_id as string) as account_id,
    cast(campaign_id as string) as campaign_id,
    campaign_name,
    currency,
    cast(spend as {{ type_money() }}) as spend,
    cast(impressions as int64) as impressions,
    cast(clicks as int64) as clicks,
    cast(conversion as {{ type_money() }}) as conversions
from {{ ref('tiktok_ads__campaign_report_daily') }}
where {{ demo_seed_until_today(demo_seed_shifted('stat_time_day')) }}
