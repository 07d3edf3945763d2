{#- Warns about each ad account whose days are not in var('reporting_time_zone'): its spend days
    (Meta reports in the account's zone) and the order months (cut in the reporting zone) then
    disagree around month boundaries. Set the var to the accounts' zone (DECISIONLOG, "Time zones"). -#}
{{ config(severity='warn') }}
select account_id, timezone_name
from {{ ref('stg_facebook_ads__ad_accounts') }}
where timezone_name is not null
    and timezone_name != '{{ reporting_time_zone() }}'
