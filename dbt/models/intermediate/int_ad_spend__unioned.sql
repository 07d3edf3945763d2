{#- Every platform model listed in var('ad_platforms') (plus the demo's Google Ads and TikTok
    models when var('fb_ads_elt__demo') is on), stacked. They all honour the same column
    contract, so the union is by position in one fixed column order. -#}
{%- set columns = ['date_day', 'platform', 'platform_label', 'account_id', 'campaign_id', 'campaign_name', 'currency', 'spend', 'impressions', 'clicks', 'conversions'] -%}
{%- for platform_model in ad_spend_models() %}
select {{ columns | join(', ') }}
from {{ ref(platform_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
