{#- Warns when the CAC months are cut in a zone nobody chose: var('reporting_time_zone') (and its
    old name cac_time_zone) is unset, so months are UTC months, while Facebook accounts report their
    days in another zone. Accounts in several zones are normal (an agency, a brand per market): once
    the var names the zone of your books, the accounts in other zones are expected and not listed
    (up to a day of their spend can fall in the neighbouring month, DECISIONLOG "Time zones").
    Only the CAC marts cut months, so it returns nothing without an orders relation (it stays
    enabled: its description in _tests.yml must find it). -#}
{{ config(severity='warn') }}
{%- set fires = cac_orders_relation_name() is not none and not (var('reporting_time_zone', none) or var('cac_time_zone', none)) %}
select account_id, timezone_name
from {{ ref('stg_facebook_ads__ad_accounts') }}
where timezone_name is not null
    and timezone_name != '{{ reporting_time_zone() }}'
    and {{ 'true' if fires else 'false' }}
