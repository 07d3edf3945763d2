{#- One row per Business Manager any token can reach (full table; ACTIVATE_VERSION soft-deletes
    businesses that disappeared). -#}
with source as (

    select * from {{ source('facebook_ads', 'businesses') }}

),

renamed as (

    select
        cast(id as string) as business_id,
        name as business_name,
        verification_status,
        _sdc_deleted_at is not null as is_removed_from_source,
        cast(created_time as {{ type_instant() }}) as created_at

    from source

)

select * from renamed
