{#- One row per ad account per tap run: how the run went for that account, for freshness and
    failure monitoring (status, counts, API calls, throttles, the error class and its hint). -#}
with source as (

    select * from {{ source('facebook_ads', 'sync_log') }}

),

renamed as (

    select
        run_id,
        cast(account_id as string) as account_id,
        account_name,
        status as sync_status,
        is_new_account,
        records as records_synced,
        api_calls,
        throttles,
        retries,
        errors,
        error_class,
        hint as error_hint,
        cast(started_at as {{ type_instant() }}) as started_at,
        cast(finished_at as {{ type_instant() }}) as finished_at

    from source

)

select * from renamed
