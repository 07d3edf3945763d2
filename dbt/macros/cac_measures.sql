{#- The CAC rule, shared by fct_cac_monthly and fct_cac_by_channel_monthly so blended and
    per-channel figures cannot drift apart. Reads is_spend_tracked, has_spend_rows, spend,
    new_customers and spend_rows_without_fx of the row. spend: what the month's spend rows hold up
    to as_of_date (incomplete when not tracked: a platform missing or covering part of the month), 0 for a
    tracked month without spend rows, NULL for an untracked month without any. cac: only for a
    tracked month, so never a ratio of incomplete spend; NULL too without new customers or when
    no spend row of the month could be converted; never a division error. -#}
{% macro cac_measures() -%}
    case
        when has_spend_rows then spend
        when is_spend_tracked then cast(0 as {{ type_money() }})
    end as spend,
    new_customers,
    case
        when is_spend_tracked
            then cast({{ safe_divide('case when has_spend_rows then spend else 0 end', 'new_customers') }} as {{ type_money() }})
    end as cac,
    spend_rows_without_fx,
    spend_rows_without_fx > 0 as has_spend_without_fx
{%- endmacro %}

{#- What a CAC row counts, the one cut-off of both marts: the model's spend_days and first_orders
    rows (CTEs with month_start, date_day / acquisition_date and the `by` columns) of the row's
    month up to its counted_through (as_of_date when tracked, else the month's last day). Renders
    the CTEs spend, customers and joined after the model's periods CTE (month_start, the `by`
    columns, counted_through); joined is periods plus the inputs cac_measures() reads. -#}
{% macro cac_counted_ctes(by=[]) -%}
spend as (

    select
        periods.month_start,
        {%- for k in by %}
        periods.{{ k }},
        {%- endfor %}
        sum(spend_days.spend_reporting) as spend,
        count(*) - count(spend_days.spend_reporting) as spend_rows_without_fx
    from periods
    inner join spend_days
        on spend_days.month_start = periods.month_start
        {%- for k in by %}
        and spend_days.{{ k }} = periods.{{ k }}
        {%- endfor %}
        and spend_days.date_day <= periods.counted_through
    group by {{ range(1, by | length + 2) | join(', ') }}

),

customers as (

    select
        periods.month_start,
        {%- for k in by %}
        periods.{{ k }},
        {%- endfor %}
        count(*) as new_customers
    from periods
    inner join first_orders
        on first_orders.month_start = periods.month_start
        {%- for k in by %}
        and first_orders.{{ k }} = periods.{{ k }}
        {%- endfor %}
        and first_orders.acquisition_date <= periods.counted_through
    group by {{ range(1, by | length + 2) | join(', ') }}

),

joined as (

    select
        periods.*,
        spend.month_start is not null as has_spend_rows,
        spend.spend,
        coalesce(spend.spend_rows_without_fx, 0) as spend_rows_without_fx,
        coalesce(customers.new_customers, 0) as new_customers
    from periods
    left join spend
        on spend.month_start = periods.month_start
        {%- for k in by %}
        and spend.{{ k }} = periods.{{ k }}
        {%- endfor %}
    left join customers
        on customers.month_start = periods.month_start
        {%- for k in by %}
        and customers.{{ k }} = periods.{{ k }}
        {%- endfor %}

)
{%- endmacro %}
