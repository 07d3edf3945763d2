{#- Every platform model listed in var('ad_platforms') (plus the demo's Google Ads and TikTok
    models when var('fb_ads_elt__demo') is on), stacked. They all honour the same column
    contract, so the union is by position in one fixed column order. -#}
{%- set columns = ['date_day', 'platform', 'platform_label', 'account_id', 'campaign_id', 'campaign_name', 'currency', 'spend', 'impressions', 'clicks', 'conversions'] -%}
{%- set platforms = [] -%}
{%- for m in var('ad_platforms') + (['int_ad_spend__google_ads', 'int_ad_spend__tiktok_ads'] if demo_enabled() else []) -%}
{%- if m not in platforms %}{% do platforms.append(m) %}{% endif -%}
{%- endfor -%}
{%- for platform_model in platforms %}
select {{ columns | join(', ') }}
from {{ ref(platform_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
