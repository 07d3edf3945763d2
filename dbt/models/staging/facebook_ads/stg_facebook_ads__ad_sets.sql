{#- One row per ad set, latest version. -#}
with source as (

    select * from {{ source('facebook_ads', 'ad_sets') }}

),

renamed as (

    select
        ---------- ids
        cast(id as string) as ad_set_id,
        cast(account_id as string) as account_id,
        cast(campaign_id as string) as campaign_id,

        ---------- text
        name as ad_set_name,
        optimization_goal,
        billing_event,
        bid_strategy,

        ---------- status
        status as ad_set_status,
        effective_status,
        _sdc_deleted_at is not null as is_removed_from_source,

        ---------- numerics
        cast(daily_budget as {{ type_money() }}) as daily_budget,
        cast(lifetime_budget as {{ type_money() }}) as lifetime_budget,
        currency,

        ---------- timestamps
        cast(start_time as {{ type_instant() }}) as start_at,
        cast(end_time as {{ type_instant() }}) as end_at,
        cast(created_time as {{ type_instant() }}) as created_at,
        cast(updated_time as {{ type_instant() }}) as updated_at

    from source

)

select * from renamed
