{#- Spend coverage, the one rule behind "is this month's spend complete" in both CAC marts. It
    comes from what each platform read, never from its spend rows: a day the sync read with zero
    spend is covered, a day it never read is not (a sync that starts on the 1st of a month whose
    first spend is on the 2nd covers the 1st). Each platform declares the days it read per account
    in a coverage model (var('ad_platform_coverage'); contract in _intermediate__models.yml); a
    platform with spend rows but no declared coverage covers nothing, so no month it spends in is
    tracked (never an understated CAC). int_ad_coverage__monthly applies the rule per platform and
    month; the month to date ends the day before the run day (the run clock, see cac_run_day). -#}

{#- A FROM-clause item adding one row per day from start to stop (both DATEs, inclusive; none when
    stop < start) to the table before it, as column date_day: `from t {{ days_from_to(...) }}`. -#}
{% macro days_from_to(start, stop) %}{{ return(adapter.dispatch('days_from_to', 'fb_ads_elt')(start, stop)) }}{% endmacro %}
{% macro default__days_from_to(start, stop) %}cross join unnest(generate_date_array({{ start }}, {{ stop }})) as date_day{% endmacro %}
{% macro duckdb__days_from_to(start, stop) %}cross join unnest(generate_series(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day)) as spine(date_day){% endmacro %}

{#- The run's day in the reporting time zone, as a SQL DATE: the day the CAC marts call "today".
    Its month is the month to date; the days before it are the ones that can be over. -#}
{% macro cac_run_day() %}{{ return(run_date(reporting_time_zone())) }}{% endmacro %}

{#- Days of the month starting at month_start (a DATE). -#}
{% macro days_in_month(month_start) -%}
    {{ dbt.datediff(month_start, month_end(month_start), 'day') }} + 1
{%- endmacro %}

{#- The run day's month is the month to date. -#}
{% macro is_month_to_date(month) -%}
    {{ month }} = {{ month_start(cac_run_day()) }}
{%- endmacro %}

{#- The last day of the month starting at `month` (a DATE) whose spend can be complete: the month's last
    day for a month before the run day's, the day before the run day for the month to date, and
    the day before the month (no day) for a later month. -#}
{% macro coverage_period_end(month) -%}
    case
        when {{ month }} < {{ month_start(cac_run_day()) }} then {{ month_end(month) }}
        when {{ is_month_to_date(month) }} then {{ add_days(cac_run_day(), -1) }}
        else {{ add_days(month, -1) }}
    end
{%- endmacro %}

{#- Days from the month's first day to coverage_period_end (0 for a later month, and on the 1st of the month to date). -#}
{% macro days_in_coverage_period(month) -%}
    greatest(0, {{ dbt.datediff(month, coverage_period_end(month), 'day') }} + 1)
{%- endmacro %}
