{#
    Fails for every row where the SQL boolean `expression` is not true (false or null), e.g.
    that a row's status counts add up to its hours. Usage on a model:
      data_tests:
        - expression_is_true:
            arguments:
              expression: "n_ok_hours + n_failed_hours <= n_hours"
#}
{% test expression_is_true(model, expression) %}

    with

    final as (
        select *
        from {{ model }}
        where not coalesce(({{ expression }}), false)
    )

    select * from final

{% endtest %}
