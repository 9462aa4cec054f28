-- One row per door sensor: its name and the span of its readings.
with

sensors as (
    select * from {{ ref('stg_simulator__sensors') }}
),

readings as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
),

reading_span as (
    select
        store_id,
        sensor_id,
        min(reading_start_utc) as first_reading_utc,
        max(reading_start_utc) as last_reading_utc,
        count(*) as n_readings
    from readings
    group by
        store_id,
        sensor_id
),

final as (
    select
        sensors.store_id,
        sensors.sensor_id,
        sensors.sensor_name,
        reading_span.first_reading_utc,
        reading_span.last_reading_utc,
        coalesce(reading_span.n_readings, 0)::bigint as n_readings
    from sensors
    left join reading_span
        on
            sensors.store_id = reading_span.store_id
            and sensors.sensor_id = reading_span.sensor_id
)

select * from final
