{#- Facebook accounts the sync tried to read in a month and never could: every run that month
    failed for them (stg_facebook_ads__sync_log status `failed`) and no insights_coverage row covers
    any day of it. Such an account is still expected in that month (int_ad_coverage__monthly), so
    the month is not covered, unlike an account the sync no longer reads at all (closed, dropped
    from account_ids: no sync_log row, not expected). A run's month is the calendar month of its
    start in var('reporting_time_zone'). -#}
with failed_runs as (

    select
        account_id,
        {{ month_start(date_in_zone('started_at', reporting_time_zone())) }} as month_start,
        run_id
    from {{ ref('stg_facebook_ads__sync_log') }}
    where sync_status = 'failed'

),

read_months as (

    select distinct
        account_id,
        {{ month_start('date_day') }} as month_start
    from {{ ref('int_ad_coverage__facebook_ads') }}

)

select
    'facebook_ads' as platform,
    failed_runs.account_id,
    failed_runs.month_start,
    count(distinct failed_runs.run_id) as failed_runs
from failed_runs
left join read_months
    on read_months.account_id = failed_runs.account_id
    and read_months.month_start = failed_runs.month_start
where read_months.account_id is null
group by 1, 2, 3
