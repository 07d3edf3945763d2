{#- Daily performance per ad. Grain: ad_id × date_day (account-zone day). The largest report, so
    incremental. Each run re-processes every day from `facebook_ads__lookback_days` before the run
    date (run_date(): Meta restates insights for up to 28 days) plus every day that received rows
    since the last build (backfills, newly added accounts), and replaces those days with each
    adapter's own strategy: BigQuery overwrites the day partitions (insert_overwrite: no
    full-table MERGE scan), DuckDB deletes the re-processed keys and inserts them again
    (delete+insert). Days whose stored names, status or creative differ from the entities' current
    ones (a rename, an ad deleted or archived after the lookback) are re-processed too, so old days
    show what the table-built reports show; so are days counted with another
    var('conversion_action_types') than this run's (each row keeps the list it was counted with). A
    column added to the model is added to the table (append_new_columns); none is ever dropped from
    it. -#}
{% set on_bigquery = target.type == 'bigquery' %}
{#- The conversion definition the rows are counted with, order aside: a changed list re-counts every day. -#}
{% set conversion_types = var('conversion_action_types') | sort | join(',') | replace("'", "''") %}
{{
    config(
        materialized='incremental',
        unique_key=['ad_id', 'date_day'],
        incremental_strategy='insert_overwrite' if on_bigquery else 'delete+insert',
        partition_by={'field': 'date_day', 'data_type': 'date', 'granularity': 'day'} if on_bigquery else none,
        cluster_by=['account_id', 'ad_id'] if on_bigquery else none,
        on_schema_change='append_new_columns'
    )
}}

with accounts as (

    select * from {{ ref('stg_facebook_ads__ad_accounts') }}

),

campaigns as (

    select * from {{ ref('stg_facebook_ads__campaigns') }}

),

ad_sets as (

    select * from {{ ref('stg_facebook_ads__ad_sets') }}

),

ads as (

    select * from {{ ref('stg_facebook_ads__ads') }}

),

creatives as (

    select * from {{ ref('stg_facebook_ads__ad_creatives') }}

),

insights as (

    select * from {{ ref('stg_facebook_ads__insights_ad') }}
    {% if is_incremental() %}
    where date_day >= {{ add_days(run_date(), -var('facebook_ads__lookback_days')) }}
        or date_day in (
            select date_day from {{ ref('stg_facebook_ads__insights_ad') }}
            -- An empty table (built before any ad row was loaded) has no max: everything is new.
            where loaded_at > (select coalesce(max(loaded_at), cast('1970-01-01 00:00:00+00' as {{ type_instant() }})) from {{ this }})
        )
        or date_day in (
            -- Days showing an entity as it no longer is (compared only where the entity row exists:
            -- otherwise the name at sync is all there is).
            select reported.date_day
            from {{ this }} as reported
            left join accounts on reported.account_id = accounts.account_id
            left join campaigns on reported.campaign_id = campaigns.campaign_id
            left join ad_sets on reported.ad_set_id = ad_sets.ad_set_id
            left join ads on reported.ad_id = ads.ad_id
            left join creatives on ads.creative_id = creatives.creative_id
            where reported.account_name != accounts.account_name
                or reported.campaign_name != campaigns.campaign_name
                or reported.ad_set_name != ad_sets.ad_set_name
                or reported.ad_name != ads.ad_name
                or (ads.ad_id is not null and (
                    reported.ad_status is distinct from ads.ad_status
                    or reported.creative_id is distinct from ads.creative_id
                    or reported.creative_name is distinct from creatives.creative_name
                ))
        )
        {%- if 'conversion_action_types' in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) %}
        or date_day in (
            -- Days counted with another conversion definition than this run's (the var changed).
            select date_day from {{ this }}
            where conversion_action_types is distinct from '{{ conversion_types }}'
        )
        {%- else %}
        -- A table built before rows kept their conversion definition: re-count every day once.
        or true
        {%- endif %}
    {% endif %}

)

select
    insights.date_day,
    insights.account_id,
    coalesce(accounts.account_name, insights.account_name_at_sync) as account_name,
    insights.campaign_id,
    coalesce(campaigns.campaign_name, insights.campaign_name_at_sync) as campaign_name,
    insights.ad_set_id,
    coalesce(ad_sets.ad_set_name, insights.ad_set_name_at_sync) as ad_set_name,
    insights.ad_id,
    coalesce(ads.ad_name, insights.ad_name_at_sync) as ad_name,
    ads.ad_status,
    ads.creative_id,
    creatives.creative_name,
    coalesce(insights.currency, accounts.currency) as currency,
    accounts.timezone_name,
    insights.spend,
    insights.impressions,
    insights.clicks,
    insights.link_clicks,
    insights.reach,
    insights.frequency,
    {{ sum_action_values('insights.actions', var('conversion_action_types')) }} as conversions,
    cast({{ sum_action_values('insights.action_values', var('conversion_action_types')) }} as {{ type_money() }}) as conversions_value,
    '{{ conversion_types }}' as conversion_action_types,
    insights.loaded_at
from insights
left join accounts
    on insights.account_id = accounts.account_id
left join campaigns
    on insights.campaign_id = campaigns.campaign_id
left join ad_sets
    on insights.ad_set_id = ad_sets.ad_set_id
left join ads
    on insights.ad_id = ads.ad_id
left join creatives
    on ads.creative_id = creatives.creative_id
