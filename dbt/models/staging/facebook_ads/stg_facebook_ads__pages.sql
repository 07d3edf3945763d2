{#- One row per Facebook page reachable through a business (owned or client) or a token. -#}
with source as (

    select * from {{ source('facebook_ads', 'pages') }}

),

renamed as (

    select
        cast(id as string) as page_id,
        name as page_name,
        category as page_category,
        link as page_url,
        verification_status,
        _sdc_deleted_at is not null as is_removed_from_source

    from source

)

select * from renamed
