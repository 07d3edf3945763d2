{#- Spend coverage, the one rule behind "is this month's spend complete" in both CAC marts. A
    platform covers the days from its first to its last spend row in fct_ad_spend_daily (days in
    between without rows are days without spend: paused campaigns). Before its first row the sync
    had not started, after its last it stopped: its spend there is unknown, not 0. -#}

{#- The platforms whose spend counts, with the window of days they cover; a CTE body over
    fct_ad_spend_daily. Every platform with a spend row in any month is expected in every month. -#}
{% macro spend_coverage_platforms() -%}
    select
        platform,
        min(date_day) as first_day,
        max(date_day) as last_day
    from {{ ref('fct_ad_spend_daily') }}
    group by 1
{%- endmacro %}

{#- Days of the month starting at month_start (a DATE). -#}
{% macro days_in_month(month_start) -%}
    {{ dbt.datediff(month_start, month_end(month_start), 'day') }} + 1
{%- endmacro %}

{#- Days of the month starting at month_start that lie between first_day and last_day (0 when
    none, and for a channel without spend rows: NULL first_day — DuckDB's greatest() would skip it). -#}
{% macro days_spend_covered(first_day, last_day, month_start) -%}
    case
        when {{ first_day }} is null then 0
        else greatest(0, {{ dbt.datediff(
            'greatest(' ~ first_day ~ ', ' ~ month_start ~ ')',
            'least(' ~ last_day ~ ', ' ~ month_end(month_start) ~ ')',
            'day') }} + 1)
    end
{%- endmacro %}
