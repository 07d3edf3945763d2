{#- The grain test: no two rows share the same combination of these columns (NULLs included,
    because a NULL in a key column is a grain bug too). Same idea as dbt_utils'
    unique_combination_of_columns, without the package. -#}
{% test grain_is_unique(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_records
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
