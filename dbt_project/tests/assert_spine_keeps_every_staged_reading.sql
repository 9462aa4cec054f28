-- Nothing is lost between staging and the hour spine: per store, the staged readings inside
-- the modelled window (from the store's first modelled hour) are as many as the sensor-hours
-- of int_sensor_hours that carry a reading. The spine is unique per sensor-hour and joins
-- readings on that key, so equal counts mean every reading found its hour; a reading of an
-- unknown store or sensor makes them differ. Counts, not a join: two column scans.
-- In the hourly cycle's test scope, only the rows its build recomputed (footfall_in_scope).
with

readings as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
    where {{ footfall_in_scope('int_sensor_hours', 'reading_start_utc') }}
),

store_windows as (
    select
        store_id,
        min(hour_start_utc) as first_hour_start_utc
    from {{ ref('int_store_hours') }}
    group by store_id
),

staged_counts as (
    select
        readings.store_id,
        count(*) as n_staged
    from readings
    left join store_windows
        on readings.store_id = store_windows.store_id
    where
        store_windows.first_hour_start_utc is null
        or readings.reading_start_utc >= store_windows.first_hour_start_utc
    group by readings.store_id
),

spine_counts as (
    select
        store_id,
        count(*) as n_in_spine
    from {{ ref('int_sensor_hours') }}
    where
        reading_status != 'missing'
        and {{ footfall_in_scope('int_sensor_hours') }}
    group by store_id
),

final as (
    select
        coalesce(staged_counts.store_id, spine_counts.store_id) as store_id,
        staged_counts.n_staged,
        spine_counts.n_in_spine
    from staged_counts
    full outer join spine_counts
        on staged_counts.store_id = spine_counts.store_id
    where staged_counts.n_staged is distinct from spine_counts.n_in_spine
)

select * from final
