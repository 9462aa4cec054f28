-- The day calendar, MetricFlow's time spine (models/marts/_marts__semantic.yml): one row per
-- day from 2010 through 2035, a fixed range that covers every store's history and the weeks
-- the week-over-week and 4-week metrics reach back. Its days are the stores' local days.
with

days as (
    select
        {{ footfall_series("date '2010-01-01'", "date '2035-12-31'", 'interval 1 day') }}
            as day_start
),

final as (
    select
        day_start::date as date_day,
        {{ footfall_isodow('day_start') }}::integer as isodow
    from days
)

select * from final
