{#- The optional parts of the project, each switched by a var in dbt_project.yml so a project
    that lacks them still builds: the demo data (seeds), the orders behind CAC and the FX rates.
    *_relation_name() returns what to read, or none when the part is off. -#}
{% macro demo_enabled() %}{{ return(var('fb_ads_elt__demo', false) in [true, 'true', 'True']) }}{% endmacro %}

{% macro cac_orders_relation_name() %}
{%- set named = (var('cac_orders', {}) or {}).get('relation') -%}
{{ return(named or ('shop_orders' if demo_enabled() else none)) }}
{% endmacro %}

{% macro fx_rates_relation_name() %}
{%- set named = (var('fx_rates', {}) or {}).get('relation') -%}
{{ return(named or ('fx_rates_daily' if demo_enabled() else none)) }}
{% endmacro %}

{#- A relation named in a var: a model or seed name (a ref, so dbt orders the DAG and unit tests
    can stand in for it), or a table written `schema.table` / `database.schema.table`, read as is. -#}
{% macro relation_named(name) %}
{%- if '.' in name -%}{{ return(name) }}{%- else -%}{{ return(ref(name)) }}{%- endif -%}
{% endmacro %}

{#- The run's date as a SQL DATE: var('run_date'), else the date of FB_ADS_ELT_NOW (the instant
    fb-ads-elt hands every step of a run) in `zone` (an IANA name; UTC by default), else the
    warehouse's current date in that zone. Never the wall clock of dbt's machine. -#}
{% macro run_date(zone='UTC') %}
{%- set pinned = var('run_date', none) -%}
{%- set now = env_var('FB_ADS_ELT_NOW', '') | trim -%}
{%- if not pinned and now -%}
{%- set instant = modules.datetime.datetime.fromisoformat(now.replace('Z', '+00:00').replace('z', '+00:00')) -%}
{%- set pinned = instant.astimezone(modules.pytz.timezone(zone)).strftime('%Y-%m-%d') -%}
{%- endif -%}
{%- if pinned -%}{{ return("cast('" ~ pinned ~ "' as date)") }}
{%- elif zone == 'UTC' -%}{{ return('current_date') }}
{%- else -%}{{ return(date_in_zone('current_timestamp', zone)) }}{%- endif -%}
{% endmacro %}

{#- The demo seeds hold dates around var('fb_ads_elt__demo_seed_anchor'). `fb-ads-elt demo` passes
    its world's day as var('fb_ads_elt__demo_today'), and every seed date moves by the days between
    them, so the demo's Google Ads, TikTok, orders and FX rates always surround the synced Facebook
    days, whatever the date of the run. 0 (no move) outside the demo or without that var. -#}
{% macro demo_seed_shift_days() %}
{%- set today = var('fb_ads_elt__demo_today', none) -%}
{%- if not demo_enabled() or not today -%}{{ return(0) }}{%- endif -%}
{%- set day = modules.datetime.date.fromisoformat(today | string) -%}
{%- set anchor = modules.datetime.date.fromisoformat(var('fb_ads_elt__demo_seed_anchor') | string) -%}
{{ return((day - anchor).days) }}
{% endmacro %}

{#- A filter keeping a demo seed's rows (their moved `expr`) up to the demo's day: nothing after
    "today" in the tables. `true` outside the demo or without var('fb_ads_elt__demo_today'). -#}
{% macro demo_seed_until_today(expr) %}
{%- set today = var('fb_ads_elt__demo_today', none) -%}
{%- if not demo_enabled() or not today -%}{{ return('true') }}{%- endif -%}
{{ return('cast(' ~ expr ~ " as date) <= cast('" ~ (today | string) ~ "' as date)") }}
{% endmacro %}

{#- `expr` (a demo seed's DATE, or TIMESTAMP when is_timestamp) moved by demo_seed_shift_days(). -#}
{% macro demo_seed_shifted(expr, is_timestamp=false) %}
{%- set n = demo_seed_shift_days() -%}
{%- if n == 0 -%}{{ return(expr) }}{%- endif -%}
{%- if target.type == 'bigquery' -%}
{{ return(('timestamp_add' if is_timestamp else 'date_add') ~ '(' ~ expr ~ ', interval ' ~ n ~ ' day)') }}
{%- elif is_timestamp -%}
{{ return('(' ~ expr ~ ' + interval (' ~ n ~ ') day)') }}
{%- else -%}
{{ return('cast(' ~ expr ~ ' + interval (' ~ n ~ ') day as date)') }}
{%- endif -%}
{% endmacro %}
