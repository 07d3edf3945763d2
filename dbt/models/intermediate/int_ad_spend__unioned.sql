{#- Every platform model listed in var('ad_platforms'), stacked. They all honour the same
    column contract, so the union is by position in one fixed column order. -#}
{%- set columns = ['date_day', 'platform', 'account_id', 'campaign_id', 'campaign_name', 'currency', 'spend', 'impressions', 'clicks', 'conversions'] -%}
{%- for platform_model in var('ad_platforms') %}
select {{ columns | join(', ') }}
from {{ ref(platform_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
