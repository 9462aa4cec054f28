-- Nothing is lost between raw and staging: per store, stg_simulator__sensor_readings holds
-- one row for every distinct (sensor, hour) of raw.sensor_readings, no more and no fewer.
-- Staging keeps raw's keys (it only deduplicates them), so equal counts mean nothing was
-- dropped or invented. Returns the stores whose counts differ.
with

raw_keys as (
    select distinct
        store_id,
        sensor_id,
        reading_start_utc
    from {{ source('simulator', 'sensor_readings') }}
),

raw_counts as (
    select
        store_id,
        count(*) as n_raw_keys
    from raw_keys
    group by store_id
),

staged_counts as (
    select
        store_id,
        count(*) as n_staged
    from {{ ref('stg_simulator__sensor_readings') }}
    group by store_id
),

final as (
    select
        coalesce(raw_counts.store_id, staged_counts.store_id) as store_id,
        raw_counts.n_raw_keys,
        staged_counts.n_staged
    from raw_counts
    full outer join staged_counts
        on raw_counts.store_id = staged_counts.store_id
    where raw_counts.n_raw_keys is distinct from staged_counts.n_staged
)

select * from final
