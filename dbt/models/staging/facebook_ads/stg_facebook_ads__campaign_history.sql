{#- Every version of every campaign the tap saw (target history table: one row per id +
    updated_time), so budget and status changes over time survive the MERGE into `campaigns`.
    valid_from/valid_to bound the period each version was current. -#}
{{ config(enabled=var('facebook_ads__using_history', true)) }}
with source as (

    select * from {{ source('facebook_ads', 'campaigns__history') }}

),

renamed as (

    select
        cast(id as string) as campaign_id,
        cast(account_id as string) as account_id,
        name as campaign_name,
        status as campaign_status,
        effective_status,
        cast(daily_budget as {{ type_money() }}) as daily_budget,
        cast(lifetime_budget as {{ type_money() }}) as lifetime_budget,
        currency,
        cast(updated_time as {{ type_instant() }}) as valid_from

    from source

)

select
    *,
    lead(valid_from) over (partition by campaign_id order by valid_from) as valid_to
from renamed
