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

    with

    final as (
        select *
        from {{ model }}
        where
            false
            {%- if min_value is not none %}
                or {{ column_name }} < {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
                or {{ column_name }} > {{ max_value }}
            {%- endif %}
    )

    select * from final

{% endtest %}
