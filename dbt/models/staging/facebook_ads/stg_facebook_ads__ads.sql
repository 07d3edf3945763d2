{#- One row per ad, latest version. `creative` arrives as a JSON object ({"id": …}). -#}
with source as (

    select * from {{ source('facebook_ads', 'ads') }}

),

renamed as (

    select
        ---------- ids
        cast(id as string) as ad_id,
        cast(account_id as string) as account_id,
        cast(campaign_id as string) as campaign_id,
        cast(adset_id as string) as ad_set_id,
        {{ json_string('creative', '$.id') }} as creative_id,

        ---------- text
        name as ad_name,
        bid_type,

        ---------- status
        status as ad_status,
        effective_status,
        _sdc_deleted_at is not null as is_removed_from_source,

        ---------- timestamps
        cast(created_time as {{ type_instant() }}) as created_at,
        cast(updated_time as {{ type_instant() }}) as updated_at

    from source

)

select * from renamed
