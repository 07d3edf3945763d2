{#- Daily FX rates (USD per one unit of `currency`) from the relation named in var('fx_rates').
    Without one the model is empty, so only spend already in the reporting currency converts
    and every other spend row is flagged (fct_cac_monthly.spend_rows_without_fx). -#}
{%- set src = var('fx_rates', {}) or {} -%}
{%- set rate_date = src.get('rate_date', 'rate_date') -%}
{%- set relation = fx_rates_relation_name() -%}
{%- if relation is not none %}
with source as (

    select * from {{ relation_named(relation) }}

)

select
    cast({{ rate_date if src.get('relation') else demo_seed_shifted(rate_date) }} as date) as rate_date,
    cast({{ src.get('currency', 'currency') }} as string) as currency,
    cast({{ src.get('usd_per_unit', 'usd_per_unit') }} as {{ type_money() }}) as usd_per_unit
from source
{%- else %}
select
    cast(null as date) as rate_date,
    cast(null as string) as currency,
    cast(null as {{ type_money() }}) as usd_per_unit
limit 0
{%- endif %}
