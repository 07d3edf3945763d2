{#- One row per ad account. Accounts that no token can reach any more are soft-deleted by the
    target (_sdc_deleted_at): kept here, flagged, so historical spend keeps its account name. -#}
with source as (

    select * from {{ source('facebook_ads', 'ad_accounts') }}

),

renamed as (

    select
        ---------- ids
        cast(account_id as string) as account_id,
        cast(id as string) as account_graph_id,

        ---------- text
        name as account_name,
        currency,
        timezone_name,

        ---------- status
        cast(account_status as int64) as account_status_code,
        case cast(account_status as int64)
            when 1 then 'ACTIVE'
            when 2 then 'DISABLED'
            when 3 then 'UNSETTLED'
            when 7 then 'PENDING_RISK_REVIEW'
            when 8 then 'PENDING_SETTLEMENT'
            when 9 then 'IN_GRACE_PERIOD'
            when 100 then 'PENDING_CLOSURE'
            when 101 then 'CLOSED'
            else 'UNKNOWN'
        end as account_status,
        _sdc_deleted_at is not null as is_removed_from_source,

        ---------- numerics (major units of the account currency)
        cast(amount_spent as {{ type_money() }}) as lifetime_amount_spent,

        ---------- timestamps
        cast(created_time as {{ type_instant() }}) as created_at,
        cast(_sdc_batched_at as {{ type_instant() }}) as loaded_at

    from source

)

select * from renamed
