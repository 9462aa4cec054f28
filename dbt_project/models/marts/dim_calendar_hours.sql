-- The hour calendar, MetricFlow's hourly time spine (models/marts/_marts__semantic.yml): one
-- row per clock hour over the days of dim_calendar, for the metrics queried by local hour.
-- Its hours are local wall-clock hours (a store's metric_time is its local time).
with

hours as (
    select
        {{ footfall_hour_series(
            "timestamp '2010-01-01 00:00:00'", "timestamp '2035-12-31 23:00:00'"
        ) }} as hour_start
),

final as (
    select hour_start::timestamp as hour_start
    from hours
)

select * from final
