{#- Vertical integrity at ad set level: per account and day, spend, impressions and clicks in
    staging equal the ad set_report. Returns the account-days that disagree. -#}
with staged as (

    select account_id, date_day, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks
    from {{ ref('stg_facebook_ads__insights_adset') }}
    group by 1, 2

),

reported as (

    select account_id, date_day, sum(spend) as spend, sum(impressions) as impressions, sum(clicks) as clicks
    from {{ ref('facebook_ads__ad_set_report') }}
    group by 1, 2

)

select
    coalesce(staged.account_id, reported.account_id) as account_id,
    coalesce(staged.date_day, reported.date_day) as date_day,
    staged.spend as staged_spend,
    reported.spend as reported_spend
from staged
full outer join reported
    on staged.account_id = reported.account_id
    and staged.date_day = reported.date_day
where coalesce(staged.spend, 0) != coalesce(reported.spend, 0)
    or coalesce(staged.impressions, 0) != coalesce(reported.impressions, 0)
    or coalesce(staged.clicks, 0) != coalesce(reported.clicks, 0)
