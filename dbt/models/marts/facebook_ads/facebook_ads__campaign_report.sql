{#- Daily performance per campaign. Grain: campaign_id × date_day (account-zone day). Names and
    statuses are the campaign's current ones (falling back to the name at sync time when the
    campaign row is missing); reach is per campaign and day, not additive. -#}
with insights as (

    select * from {{ ref('stg_facebook_ads__insights_campaign') }}

),

accounts as (

    select * from {{ ref('stg_facebook_ads__ad_accounts') }}

),

campaigns as (

    select * from {{ ref('stg_facebook_ads__campaigns') }}

)

select
    insights.date_day,
    insights.account_id,
    coalesce(accounts.account_name, insights.account_name_at_sync) as account_name,
    insights.campaign_id,
    coalesce(campaigns.campaign_name, insights.campaign_name_at_sync) as campaign_name,
    campaigns.objective,
    campaigns.campaign_status,
    campaigns.effective_status as campaign_effective_status,
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
