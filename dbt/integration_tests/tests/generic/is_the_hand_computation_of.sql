{#- The expected rows (the seed this test is attached to: a hand computation) equal the rows of
    `actual`, joined on `keys`. `exact` columns must be equal, NULL only matching NULL; `approx`
    columns may differ by 1e-6 (a CAC with a repeating decimal). Returns each differing row. -#}
{% test is_the_hand_computation_of(model, actual, keys, exact, approx) %}
select
    {% for k in keys %}coalesce(actual.{{ k }}, expected.{{ k }}) as {{ k }}, {% endfor %}
    actual.{{ keys[0] }} is null as missing_in_actual,
    expected.{{ keys[0] }} is null as missing_in_expected
from {{ actual }} as actual
full outer join {{ model }} as expected
    on {% for k in keys %}actual.{{ k }} = expected.{{ k }}{{ ' and ' if not loop.last }}{% endfor %}
where actual.{{ keys[0] }} is null
    or expected.{{ keys[0] }} is null
    {%- for c in exact %}
    or actual.{{ c }} is distinct from expected.{{ c }}
    {%- endfor %}
    {%- for c in approx %}
    or (actual.{{ c }} is null) != (expected.{{ c }} is null)
    or abs(actual.{{ c }} - expected.{{ c }}) > 0.000001
    {%- endfor %}
{% endtest %}
