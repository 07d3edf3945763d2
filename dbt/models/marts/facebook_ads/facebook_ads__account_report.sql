{#- Daily performance per ad account. Grain: account_id × date_day (the account's own day).
    reach is the account's unique reach on that day: never sum it across days or from lower
    levels (one person reached by two campaigns counts once here, twice in the campaign report). -#}
with insights as (

    select * from {{ ref('stg_facebook_ads__insights_account') }}

),

accounts as (

    select * from {{ ref('stg_facebook_ads__ad_accounts') }}

)

select
    insights.date_day,
    insights.account_id,
    coalesce(accounts.account_name, insights.account_name_at_sync) as account_name,
    coalesce(insights.currency, accounts.currency) as currency,
    accounts.timezone_name,
    accounts.account_status,
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
