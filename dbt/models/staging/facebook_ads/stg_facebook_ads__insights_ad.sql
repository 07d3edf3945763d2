{#- Daily insights at ad level: one row per ad and day (time_increment=1). The day is the
    ad account's own calendar day (its timezone_name), never UTC. Action lists stay JSON here;
    the reports turn them into conversions with sum_action_values(). Rows of the lookback
    window are re-read and MERGEd by the target, so the latest restatement wins. -#}
with source as (

    select * from {{ source('facebook_ads', 'insights_ad') }}

),

renamed as (

    select
        ---------- grain
        cast(date_start as date) as date_day,
        cast(account_id as string) as account_id,
        cast(campaign_id as string) as campaign_id,
        cast(adset_id as string) as ad_set_id,
        cast(ad_id as string) as ad_id,

        ---------- text
        account_name as account_name_at_sync,
        campaign_name as campaign_name_at_sync,
        adset_name as ad_set_name_at_sync,
        ad_name as ad_name_at_sync,
        account_currency as currency,

        ---------- numerics (spend in major units of the account currency)
        cast(spend as {{ type_money() }}) as spend,
        cast(impressions as int64) as impressions,
        cast(clicks as int64) as clicks,
        cast(inline_link_clicks as int64) as link_clicks,
        cast(reach as int64) as reach,
        cast(frequency as {{ type_money() }}) as frequency,

        ---------- action lists (JSON arrays of {action_type, value, <window>…})
        actions,
        action_values,

        ---------- timestamps
        cast(_sdc_extracted_at as {{ type_instant() }}) as extracted_at,
        cast(_sdc_batched_at as {{ type_instant() }}) as loaded_at

    from source

)

select * from renamed
