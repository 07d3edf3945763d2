{#- Every version of every ad set (target history table), for budget/bid/status over time. -#}
{{ config(enabled=var('facebook_ads__using_history', true)) }}
with source as (

    select * from {{ source('facebook_ads', 'ad_sets__history') }}

),

renamed as (

    select
        cast(id as string) as ad_set_id,
        cast(campaign_id as string) as campaign_id,
        cast(account_id as string) as account_id,
        name as ad_set_name,
        status as ad_set_status,
        effective_status,
        cast(daily_budget as {{ type_money() }}) as daily_budget,
        cast(lifetime_budget as {{ type_money() }}) as lifetime_budget,
        cast(bid_amount as {{ type_money() }}) as bid_amount,
        currency,
        cast(updated_time as {{ type_instant() }}) as valid_from

    from source

)

select
    *,
    lead(valid_from) over (partition by ad_set_id order by valid_from) as valid_to
from renamed
