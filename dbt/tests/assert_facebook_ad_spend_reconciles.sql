{#- Vertical integrity at ad level: per account and day, spend, impressions, clicks and conversions
    (counted from staging's action lists with this run's var('conversion_action_types')) in staging
    equal the ad report. The ad report is incremental, so a day it did not re-process keeps what it
    was built with: conversions are compared too, or a day left counted under an older definition
    would pass. Returns the account-days that disagree. -#}
with staged as (

    select
        account_id,
        date_day,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum({{ sum_action_values('actions', var('conversion_action_types')) }}) as conversions,
        sum({{ sum_action_values('action_values', var('conversion_action_types')) }}) as conversions_value
    from {{ ref('stg_facebook_ads__insights_ad') }}
    group by 1, 2

),

reported as (

    select
        account_id,
        date_day,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversions_value) as conversions_value
    from {{ ref('facebook_ads__ad_report') }}
    group by 1, 2

)

select
    coalesce(staged.account_id, reported.account_id) as account_id,
    coalesce(staged.date_day, reported.date_day) as date_day,
    staged.spend as staged_spend,
    reported.spend as reported_spend,
    staged.conversions as staged_conversions,
    reported.conversions as reported_conversions
from staged
full outer join reported
    on staged.account_id = reported.account_id
    and staged.date_day = reported.date_day
where coalesce(staged.spend, 0) != coalesce(reported.spend, 0)
    or coalesce(staged.impressions, 0) != coalesce(reported.impressions, 0)
    or coalesce(staged.clicks, 0) != coalesce(reported.clicks, 0)
    or coalesce(staged.conversions, 0) != coalesce(reported.conversions, 0)
    or coalesce(staged.conversions_value, 0) != coalesce(reported.conversions_value, 0)
