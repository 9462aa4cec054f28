{#
    Fails for every combination of `combination_of_columns` that occurs more than once: the
    key of a model whose grain is several columns (a sensor-hour, a store-day).
    Usage:
      data_tests:
        - unique_combination_of_columns:
            arguments:
              combination_of_columns: [store_id, sensor_id, hour_start_utc]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns_csv = combination_of_columns | join(', ') %}

    with

    counted as (
        select
            {{ columns_csv }},
            count(*) as n_rows
        from {{ model }}
        group by {{ columns_csv }}
    ),

    final as (
        select *
        from counted
        where n_rows > 1
    )

    select * from final

{% endtest %}
