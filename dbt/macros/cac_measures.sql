{#- The CAC rule, shared by fct_cac_monthly and fct_cac_by_channel_monthly so blended and
    per-channel figures cannot drift apart. Reads is_spend_tracked, has_spend_rows, spend,
    new_customers and spend_rows_without_fx of the row. spend: NULL when not tracked, 0 for a
    tracked month without spend rows. cac: NULL when not tracked, without new customers, or when
    no spend row of the month could be converted; never a division error. -#}
{% macro cac_measures() -%}
    case
        when not is_spend_tracked then null
        when has_spend_rows then spend
        else cast(0 as {{ type_money() }})
    end as spend,
    new_customers,
    case
        when is_spend_tracked
            then cast({{ safe_divide('case when has_spend_rows then spend else 0 end', 'new_customers') }} as {{ type_money() }})
    end as cac,
    spend_rows_without_fx,
    spend_rows_without_fx > 0 as has_spend_without_fx
{%- endmacro %}
