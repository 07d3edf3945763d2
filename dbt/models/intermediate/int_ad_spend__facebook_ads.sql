{#- Facebook Ads in the cross-channel contract (see _intermediate__models.yml). Campaign level,
    because that is the finest level every platform reports and where Meta's totals are complete.
    clicks = link clicks (inline_link_clicks): the click that reaches the advertiser's site, the
    closest match to other platforms' clicks. -#}
select
    date_day,
    'facebook_ads' as platform,
    'Facebook Ads' as platform_label,
    account_id,
    campaign_id,
    campaign_name,
    currency,
    spend,
    impressions,
    link_clicks as clicks,
    cast(conversions as {{ type_money() }}) as conversions
from {{ ref('facebook_ads__campaign_report') }}
