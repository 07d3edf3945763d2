{#- One row per Meta pixel (business- and ad-account-level pixels, deduplicated by the tap). -#}
with source as (

    select * from {{ source('facebook_ads', 'pixels') }}

),

renamed as (

    select
        cast(id as string) as pixel_id,
        name as pixel_name,
        is_unavailable,
        data_use_setting,
        cast(creation_time as {{ type_instant() }}) as created_at,
        cast(last_fired_time as {{ type_instant() }}) as last_fired_at,
        _sdc_deleted_at is not null as is_removed_from_source

    from source

)

select * from renamed
