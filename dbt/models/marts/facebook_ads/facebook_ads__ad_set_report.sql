{#- Daily performance per ad set. Grain: ad_set_id × date_day (account-zone day). -#}
with insights as (

    select * from {{ ref('stg_facebook_ads__insights_adset') }}

),

accounts as (

    select * from {{ ref('stg_facebook_ads__ad_accounts') }}

),

campaigns as (

    select * from {{ ref('stg_facebook_ads__campaigns') }}

),

ad_sets as (

    select * from {{ ref('stg_facebook_ads__ad_sets') }}

)

select
    insights.date_day,
    insights.account_id,
    coalesce(accounts.account_name, insights.account_name_at_sync) as account_name,
    insights.campaign_id,
    coalesce(campaigns.campaign_name, insights.campaign_name_at_sync) as campaign_name,
    insights.ad_set_id,
    coalesce(ad_sets.ad_set_name, insights.ad_set_name_at_sync) as ad_set_name,
    ad_sets.optimization_goal,
    ad_sets.ad_set_status,
    coalesce(insights.currency, accounts.currency) as currency,
    accounts.timezone_name,
    insights.spend,
    insights.impressions,
    insights.clicks,
    insights.link_clicks,
    insights.reach,
    insights.frequency,
    {{ sum_action_values('insights.actions', var('conversion_action_types')) }} as conversions,
    cast({{ sum_action_values('insights.action_values', var('conversion_action_types')) }} as {{ type_money() }}) as conversions_value
from insights
left join accounts
    on insights.account_id = accounts.account_id
left join campaigns
    on insights.campaign_id = campaigns.campaign_id
left join ad_sets
    on insights.ad_set_id = ad_sets.ad_set_id
