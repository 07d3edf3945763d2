{#- Every coverage model listed in var('ad_platform_coverage') (plus the demo platforms' when
    var('fb_ads_elt__demo') is on), stacked: the days each platform read in full, per account. -#}
{%- set models = [] -%}
{%- for m in var('ad_platform_coverage', []) + (['int_ad_coverage__demo_platforms'] if demo_enabled() else []) -%}
{%- if m not in models %}{% do models.append(m) %}{% endif -%}
{%- endfor -%}
{%- for coverage_model in models %}
select platform, account_id, date_day
from {{ ref(coverage_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
