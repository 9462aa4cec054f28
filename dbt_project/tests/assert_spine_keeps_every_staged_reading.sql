-- Nothing is lost between staging and the hour spine: every staged reading inside the
-- modelled window of its store (int_store_hours) is the reading of its sensor-hour in
-- int_sensor_hours. Returns the readings that fell out (an unknown sensor, a wrong key).
with

readings as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
),

store_windows as (
    select
        store_id,
        min(hour_start_utc) as first_hour_start_utc
    from {{ ref('int_store_hours') }}
    group by store_id
),

sensor_hours as (
    select * from {{ ref('int_sensor_hours') }}
),

final as (
    select
        readings.store_id,
        readings.sensor_id,
        readings.reading_start_utc,
        readings.visits_reported
    from readings
    inner join store_windows
        on
            readings.store_id = store_windows.store_id
            and readings.reading_start_utc >= store_windows.first_hour_start_utc
    left join sensor_hours
        on
            readings.store_id = sensor_hours.store_id
            and readings.sensor_id = sensor_hours.sensor_id
            and readings.reading_start_utc = sensor_hours.hour_start_utc
    where sensor_hours.visits_reported is distinct from readings.visits_reported
)

select * from final
