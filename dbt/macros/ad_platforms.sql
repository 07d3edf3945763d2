{#- The cross-channel spend models: var('ad_platforms'), plus the demo's Google Ads and TikTok
    models when var('fb_ads_elt__demo') is on, each once (int_ad_spend__unioned stacks them). -#}
{% macro ad_spend_models() %}
{%- set models = [] -%}
{%- for m in var('ad_platforms') + (['int_ad_spend__google_ads', 'int_ad_spend__tiktok_ads'] if demo_enabled() else []) -%}
{%- if m not in models %}{% do models.append(m) %}{% endif -%}
{%- endfor -%}
{{ return(models) }}
{% endmacro %}

{#- The platform ids those models give themselves, by the contract's naming (int_ad_spend__<platform>):
    what fct_ad_spend_daily.platform may hold. -#}
{% macro ad_platform_ids() %}{{ return(ad_spend_models() | map('replace', 'int_ad_spend__', '') | list) }}{% endmacro %}
