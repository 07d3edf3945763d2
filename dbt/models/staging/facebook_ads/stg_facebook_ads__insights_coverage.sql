{#- One row per tap run, ad account and insights report read in full: the days the run asked for
    and got answered (a day without insights rows among them had no delivery). A day still in
    progress when read (account_today, in the account's zone) is read but not final, hence
    last_complete_day. -#}
with source as (

    select * from {{ source('facebook_ads', 'insights_coverage') }}

),

renamed as (

    select
        run_id,
        cast(account_id as string) as account_id,
        stream as report,
        cast(date_start as date) as date_start,
        cast(date_stop as date) as date_stop,
        cast(account_today as date) as account_today,
        least(cast(date_stop as date), {{ add_days('cast(account_today as date)', -1) }}) as last_complete_day,
        time_zone,
        cast(_sdc_extracted_at as {{ type_instant() }}) as extracted_at

    from source

)

select * from renamed
