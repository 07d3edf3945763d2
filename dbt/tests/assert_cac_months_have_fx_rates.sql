{#- Warns about each month whose spend has rows without an FX rate into the reporting currency:
    their spend is left out of that month's CAC (add the rates to the var('fx_rates') relation). -#}
{{ config(severity='warn') }}
select month_start, spend_rows_without_fx
from {{ ref('fct_cac_monthly') }}
where has_spend_without_fx
