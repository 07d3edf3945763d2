{#- Facebook Ads in the coverage contract (see _intermediate__models.yml): the days each account's
    campaign-level insights (the report behind int_ad_spend__facebook_ads) were read in full after
    they ended, from the tap's insights_coverage rows, every run's window unioned. -#}
select distinct
    'facebook_ads' as platform,
    coverage.account_id,
    cast(date_day as date) as date_day
from {{ ref('stg_facebook_ads__insights_coverage') }} as coverage
{{ days_from_to('coverage.date_start', 'coverage.last_complete_day') }}
where coverage.report = 'insights_campaign'
