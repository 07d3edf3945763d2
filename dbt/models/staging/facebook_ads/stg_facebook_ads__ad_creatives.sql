{#- One row per creative. Meta lets one creative be read through several accounts, so the key is
    the creative id alone only after the target's MERGE on id. -#}
with source as (

    select * from {{ source('facebook_ads', 'ad_creatives') }}

),

renamed as (

    select
        ---------- ids
        cast(id as string) as creative_id,
        cast(account_id as string) as account_id,

        ---------- text
        name as creative_name,
        title,
        body,
        object_type,
        call_to_action_type,
        link_url,
        url_tags,

        ---------- status
        status as creative_status,
        _sdc_deleted_at is not null as is_removed_from_source

    from source

)

select * from renamed
