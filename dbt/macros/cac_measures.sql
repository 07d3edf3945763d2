{#- The CAC rule, shared by fct_cac_monthly and fct_cac_by_channel_monthly so blended and
    per-channel figures cannot drift apart. Reads is_spend_tracked, has_spend_rows, spend,
    new_customers and spend_rows_without_fx of the row. spend: what the month's spend rows hold
    (incomplete when not tracked: a platform missing or covering part of the month), 0 for a
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
