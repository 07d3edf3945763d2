{#- Monthly reach per ad account. Daily reach counts unique people per day, so a month's unique
    reach is not the sum of its days (someone reached on ten days counts once). Meta gives the
    exact figure only for a monthly insights request (time_increment=monthly), which the tap does
    not make; from daily rows the month's reach is known to lie between the largest daily reach
    (everyone reached that day is in the month) and the sum of daily reach, capped at the
    impressions (nobody is reached without an impression). Both bounds are shown; neither is
    "the" reach. The upper bound holds only when every day of the month was read in full (the
    tap's insights_coverage of the account report): a day never read, or still running when read,
    may have reached people no row counts, so it is NULL otherwise. Frequency follows as
    impressions / reach, so it is a range too. -#}
with daily as (

    select * from {{ ref('facebook_ads__account_report') }}

),

read_days as (

    -- The days each account's account-level insights were read after they ended, every run unioned.
    select distinct
        coverage.account_id,
        cast(date_day as date) as date_day
    from {{ ref('stg_facebook_ads__insights_coverage') }} as coverage
    {{ days_from_to('coverage.date_start', 'coverage.last_complete_day') }}
    where coverage.report = 'insights_account'

),

read_months as (

    select
        account_id,
        {{ month_start('date_day') }} as month_start,
        count(*) as days_read
    from read_days
    group by 1, 2

),

monthly as (

    select
        {{ month_start('date_day') }} as month_start,
        account_id,
        max(account_name) as account_name,
        max(currency) as currency,
        count(*) as days_with_rows,
        sum(spend) as spend,
        sum(impressions) as impressions,
        max(reach) as reach_lower_bound,
        least(sum(reach), sum(impressions)) as reach_sum_capped
    from daily
    group by 1, 2

)

select
    monthly.month_start,
    monthly.account_id,
    monthly.account_name,
    monthly.currency,
    monthly.days_with_rows,
    coalesce(read_months.days_read, 0) as days_read,
    {{ days_in_month('monthly.month_start') }} as days_in_month,
    coalesce(read_months.days_read, 0) = {{ days_in_month('monthly.month_start') }} as is_read_in_full,
    monthly.spend,
    monthly.impressions,
    monthly.reach_lower_bound,
    case
        when coalesce(read_months.days_read, 0) = {{ days_in_month('monthly.month_start') }} then monthly.reach_sum_capped
    end as reach_upper_bound
from monthly
left join read_months
    on read_months.account_id = monthly.account_id
    and read_months.month_start = monthly.month_start
