{#- One row per customer: their first qualifying order (not refunded/cancelled), the day and month
    it falls in (calendar day and month in var('reporting_time_zone')); two at the same instant: the
    lower order_id, so the pick is deterministic), the channel the shop recorded and the
    channel it maps to (var('cac_channel_platforms'): case-insensitive, facebook/instagram →
    facebook_ads; unmapped values stay channels of their own; empty ones are `unattributed`).
    A view, not ephemeral like the other int_ models: dbt can only unit-test a model whose
    relation exists, and the CAC denominator is worth querying on its own. -#}
{{ config(materialized='view', enabled=cac_orders_relation_name() is not none) }}
{%- set excluded = var('cac_excluded_order_statuses', []) | map('lower') | list -%}
{%- set platforms = var('cac_channel_platforms', {}) or {} -%}
with orders as (

    select * from {{ ref('stg_cac__orders') }}

),

qualifying as (

    select
        customer_id,
        ordered_at,
        acquisition_channel,
        order_id,
        row_number() over (partition by customer_id order by ordered_at, order_id) as order_rank
    from orders
    where customer_id is not null
    {%- if excluded | length > 0 %}
        and coalesce(lower(order_status), '') not in ({{ quoted_list(excluded) }})
    {%- endif %}

)

select
    customer_id,
    order_id as first_order_id,
    ordered_at as first_ordered_at,
    {{ date_in_zone('ordered_at', reporting_time_zone()) }} as acquisition_date,
    {{ month_start(date_in_zone('ordered_at', reporting_time_zone())) }} as acquisition_month,
    acquisition_channel,
    case
        when coalesce(trim(acquisition_channel), '') = '' then 'unattributed'
        {%- for value, platform in platforms.items() %}
        when lower(trim(acquisition_channel)) = '{{ value | lower | replace("'", "''") }}' then '{{ platform | replace("'", "''") }}'
        {%- endfor %}
        else lower(trim(acquisition_channel))
    end as channel
from qualifying
where order_rank = 1
