-- Nothing is lost between raw and staging: every (store, sensor, hour) of
-- raw.sensor_readings has its row in stg_simulator__sensor_readings, with the visits of its
-- latest load. Returns the raw keys that went missing or changed value.
with

raw_readings as (
    select
        store_id,
        sensor_id,
        reading_start_utc,
        arg_max(visits, _loaded_at) as visits
    from {{ source('simulator', 'sensor_readings') }}
    group by
        store_id,
        sensor_id,
        reading_start_utc
),

staged as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
),

final as (
    select
        raw_readings.store_id,
        raw_readings.sensor_id,
        raw_readings.reading_start_utc,
        raw_readings.visits as raw_visits,
        staged.visits_reported as staged_visits
    from raw_readings
    left join staged
        on
            raw_readings.store_id = staged.store_id
            and raw_readings.sensor_id = staged.sensor_id
            and raw_readings.reading_start_utc = staged.reading_start_utc
    where staged.visits_reported is distinct from raw_readings.visits
)

select * from final
