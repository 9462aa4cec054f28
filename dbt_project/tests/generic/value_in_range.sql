{#
    Fails for every row whose column is outside [min_value, max_value] (either bound may be
    left out; nulls pass, test them with not_null). Usage on a column:
      data_tests:
        - value_in_range:
            arguments:
              min_value: 0
              max_value: 100
#}
{% test value_in_range(model, column_name, min_value=none, max_value=none) %}

{%- set bounds = (
    ([column_name ~ ' < ' ~ min_value] if min_value is not none else [])
    + ([column_name ~ ' > ' ~ max_value] if max_value is not none else [])
) %}

    with

    final as (
        select *
        from {{ model }}
        where false {% for bound in bounds %} or {{ bound }}{% endfor %}
    )

    select * from final

{% endtest %}
