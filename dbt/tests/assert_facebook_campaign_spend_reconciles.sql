{#- Vertical integrity at campaign level: per account and day, spend in staging = spend in the
    campaign report = Facebook spend in fct_ad_spend_daily. Exact (NUMERIC), no tolerance.
    Returns the account-days that disagree. -#}
with staged as (

    select account_id, date_day, sum(spend) as spend
    from {{ ref('stg_facebook_ads__insights_campaign') }}
    group by 1, 2

),

reported as (

    select account_id, date_day, sum(spend) as spend
    from {{ ref('facebook_ads__campaign_report') }}
    group by 1, 2

),

fact as (

    select account_id, date_day, sum(spend) as spend
    from {{ ref('fct_ad_spend_daily') }}
    where platform = 'facebook_ads'
    group by 1, 2

),

keys as (

    select account_id, date_day from staged
    union all
    select account_id, date_day from reported
    union all
    select account_id, date_day from fact

)

select
    keys.account_id,
    keys.date_day,
    staged.spend as staged_spend,
    reported.spend as reported_spend,
    fact.spend as fact_spend
from (select distinct account_id, date_day from keys) as keys
left join staged on staged.account_id = keys.account_id and staged.date_day = keys.date_day
left join reported on reported.account_id = keys.account_id and reported.date_day = keys.date_day
left join fact on fact.account_id = keys.account_id and fact.date_day = keys.date_day
where coalesce(staged.spend, 0) != coalesce(reported.spend, 0)
    or coalesce(staged.spend, 0) != coalesce(fact.spend, 0)
