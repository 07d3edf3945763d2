{#- Per month that has ended, channel spend and channel customers add up to the blended figures
    (NULL spend, a month or channel whose spend is not tracked, counts as none). The month to date
    is left out: each channel runs to its own platform's as_of_date, the blend to the earliest. -#}
with by_channel as (

    select month_start, sum(spend) as spend, sum(new_customers) as new_customers
    from {{ ref('fct_cac_by_channel_monthly') }}
    group by 1

)

select blended.month_start, blended.spend, by_channel.spend as channel_spend
from {{ ref('fct_cac_monthly') }} as blended
left join by_channel
    on by_channel.month_start = blended.month_start
where not blended.is_month_to_date
    and (coalesce(by_channel.spend, 0) != coalesce(blended.spend, 0)
        or coalesce(by_channel.new_customers, 0) != blended.new_customers)
