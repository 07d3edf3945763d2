{#- One row per campaign, latest version (the target MERGEs on id). DELETED/ARCHIVED campaigns
    stay: they can still carry spend in the insights tables. -#}
with source as (

    select * from {{ source('facebook_ads', 'campaigns') }}

),

renamed as (

    select
        ---------- ids
        cast(id as string) as campaign_id,
        cast(account_id as string) as account_id,

        ---------- text
        name as campaign_name,
        objective,
        buying_type,
        bid_strategy,

        ---------- status
        status as campaign_status,
        effective_status,
        configured_status,
        _sdc_deleted_at is not null as is_removed_from_source,

        ---------- numerics (budgets in major units; the tap keeps the raw minor value too)
        cast(daily_budget as {{ type_money() }}) as daily_budget,
        cast(lifetime_budget as {{ type_money() }}) as lifetime_budget,
        currency,

        ---------- timestamps
        cast(start_time as {{ type_instant() }}) as start_at,
        cast(stop_time as {{ type_instant() }}) as stop_at,
        cast(created_time as {{ type_instant() }}) as created_at,
        cast(updated_time as {{ type_instant() }}) as updated_at

    from source

)

select * from renamed
