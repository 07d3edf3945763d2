{#- Monthly reach per ad account. Daily reach counts unique people per day, so a month's unique
    reach is not the sum of its days (someone reached on ten days counts once). Meta gives the
    exact figure only for a monthly insights request (time_increment=monthly), which the tap does
    not make; from daily rows the month's reach is known to lie between the largest daily reach
    (everyone reached that day is in the month) and the sum of daily reach, capped at the
    impressions (nobody is reached without an impression). Both bounds are shown; neither is
    "the" reach. Frequency follows as impressions / reach, so it is a range too. -#}
with daily as (

    select * from {{ ref('facebook_ads__account_report') }}

)

select
    {{ month_start('date_day') }} as month_start,
    account_id,
    max(account_name) as account_name,
    max(currency) as currency,
    count(*) as days_with_rows,
    sum(spend) as spend,
    sum(impressions) as impressions,
    max(reach) as reach_lower_bound,
    least(sum(reach), sum(impressions)) as reach_upper_bound
from daily
group by 1, 2
