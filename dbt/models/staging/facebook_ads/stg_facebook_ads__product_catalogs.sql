{#- One row per product catalog (owned, client or assigned). -#}
with source as (

    select * from {{ source('facebook_ads', 'product_catalogs') }}

),

renamed as (

    select
        cast(id as string) as catalog_id,
        name as catalog_name,
        vertical,
        product_count,
        _sdc_deleted_at is not null as is_removed_from_source

    from source

)

select * from renamed
