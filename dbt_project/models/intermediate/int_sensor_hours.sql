{{
    config(
        unique_key=['store_id', 'sensor_id', 'hour_start_utc'],
        meta={'footfall_reach': 'none'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- The hour spine of every sensor: one row per sensor and hour of its store's calendar, with
-- the reading of the hour when there is one. Hours without a reading are explicit, with
-- reading_status 'missing'. Incremental: a run re-reads the last `footfall_lookback_days` days
-- of each store (late readings) and appends the new hours.
with

store_hours as (
    select * from {{ ref('int_store_hours') }}
),

sensors as (
    select * from {{ ref('stg_simulator__sensors') }}
),

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

readings as (
    select readings.*
    from {{ ref('stg_simulator__sensor_readings') }} as readings
    {{ footfall_reprocess_filter('readings', 'reading_start_utc') }}
),

spine as (
    select
        store_hours.store_id,
        sensors.sensor_id,
        store_hours.hour_start_utc,
        store_hours.hour_start_local,
        store_hours.local_date,
        store_hours.local_day_number,
        store_hours.local_hour,
        store_hours.local_hour_occurrence,
        store_hours.isodow,
        store_hours.is_open_hour
    from store_hours
    inner join sensors
        on store_hours.store_id = sensors.store_id
    {{ footfall_reprocess_filter('store_hours', 'hour_start_utc') }}
),

final as (
    select
        spine.store_id,
        spine.sensor_id,
        spine.hour_start_utc,
        spine.hour_start_local,
        spine.local_date,
        spine.local_day_number,
        spine.local_hour,
        spine.local_hour_occurrence,
        spine.isodow,
        spine.is_open_hour,
        coalesce(readings.reading_status, 'missing') as reading_status,
        readings.visits_reported,
        readings.visits_raw
    from spine
    left join readings
        on
            spine.store_id = readings.store_id
            and spine.sensor_id = readings.sensor_id
            and spine.hour_start_utc = readings.reading_start_utc
)

select * from final
