{#- The demo's Google Ads and TikTok in the coverage contract (demo seed, built only when
    var('fb_ads_elt__demo') is on): the days of each account's declared sync window, moved with
    the other demo seeds and never after the demo's day. -#}
{{ config(enabled=demo_enabled()) }}
with windows as (

    select
        platform,
        cast(account_id as string) as account_id,
        cast({{ demo_seed_shifted('date_start') }} as date) as date_start,
        cast({{ demo_seed_shifted('date_stop') }} as date) as date_stop
    from {{ ref('ad_platform_sync_windows') }}

)

select distinct
    windows.platform,
    windows.account_id,
    cast(date_day as date) as date_day
from windows
{{ days_from_to('windows.date_start', 'windows.date_stop') }}
where {{ demo_seed_until_today('date_day') }}
