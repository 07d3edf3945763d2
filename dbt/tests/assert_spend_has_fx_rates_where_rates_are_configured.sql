{#- Warns about each platform account and currency with spend days the configured FX rates do not
    cover (no fixing within var('fx_max_staleness_days')): a gap in your rates relation, whose
    spend_reporting is then NULL. With no rates relation (var('fx_rates') unset, demo off) only
    spend already in var('reporting_currency') converts, by design: a single-currency setup needs
    none, and CAC months hit by unconverted spend warn on their own (assert_cac_months_have_fx_rates).
    Then it returns nothing (it stays enabled: its description in _tests.yml must find it). -#}
{{ config(severity='warn') }}
select
    platform,
    account_id,
    currency,
    count(*) as spend_rows_without_fx,
    min(date_day) as first_day,
    max(date_day) as last_day
from {{ ref('fct_ad_spend_daily') }}
where spend_reporting is null
    and {{ 'true' if fx_rates_relation_name() is not none else 'false' }}
group by platform, account_id, currency
