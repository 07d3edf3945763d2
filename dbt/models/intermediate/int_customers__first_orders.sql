{#- One row per customer: their first qualifying order (not refunded/cancelled), the month it
    falls in (in var('cac_time_zone')) and the channel that order came from. The orders relation
    and its column names come from var('cac_orders'), so any shop/CRM table can be mapped.
    A view, not ephemeral like the other int_ models: dbt can only unit-test a model whose
    relation exists, and the CAC denominator is worth querying on its own. -#}
{{ config(materialized='view') }}
{%- set src = var('cac_orders') -%}
{%- set excluded = var('cac_excluded_order_statuses', []) -%}
with orders as (

    select
        cast({{ src.customer_id }} as string) as customer_id,
        cast({{ src.ordered_at }} as {{ type_instant() }}) as ordered_at,
        cast({{ src.channel }} as string) as acquisition_channel,
        cast({{ src.status }} as string) as order_status
    from {{ ref(src.relation) }}

),

qualifying as (

    select
        customer_id,
        ordered_at,
        coalesce(acquisition_channel, 'unattributed') as acquisition_channel,
        row_number() over (partition by customer_id order by ordered_at, acquisition_channel) as order_rank
    from orders
    where customer_id is not null
    {%- if excluded | length > 0 %}
        and coalesce(order_status, '') not in ({{ quoted_list(excluded) }})
    {%- endif %}

)

select
    customer_id,
    ordered_at as first_ordered_at,
    {{ month_start(date_in_zone('ordered_at', var('cac_time_zone'))) }} as acquisition_month,
    acquisition_channel
from qualifying
where order_rank = 1
