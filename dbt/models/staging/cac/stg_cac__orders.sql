{#- The shop's orders, one row per order_id, renamed to the five columns CAC needs. The relation and its column names
    come from var('cac_orders') (any shop or CRM table); off when no orders relation is named. -#}
{%- set relation = cac_orders_relation_name() -%}
{{ config(enabled=relation is not none) }}
{%- set src = var('cac_orders', {}) or {} -%}
{%- set ordered_at = src.get('ordered_at', 'ordered_at') -%}
with source as (

    {#- dbt parses a disabled model too: read nothing then. #}
    select * from {{ relation_named(relation) if relation is not none else '(select 1) as no_orders' }}

),

renamed as (

    select
        cast({{ src.get('order_id', 'order_id') }} as string) as order_id,
        cast({{ src.get('customer_id', 'customer_id') }} as string) as customer_id,
        cast({{ ordered_at if src.get('relation') else demo_seed_shifted(ordered_at, is_timestamp=true) }} as {{ type_instant() }}) as ordered_at,
        cast({{ src.get('channel', 'acquisition_channel') }} as string) as acquisition_channel,
        cast({{ src.get('status', 'status') }} as string) as order_status
    from source
    {%- if not src.get('relation') %}
    where {{ demo_seed_until_today(demo_seed_shifted(ordered_at, is_timestamp=true)) }}
    {%- endif %}

)

select * from renamed
