-- Nothing is lost between raw and staging: per store, stg_simulator__sensor_readings holds as
-- many rows as raw.sensor_readings. Raw holds one row per (store, sensor, hour)
-- (docs/contracts.md section 2) and staging keeps raw's keys, so equal counts mean nothing
-- was dropped or invented; a raw duplicate (a broken load) shows up here too. Counts, not a
-- join: two column scans. Returns the stores whose counts differ.
-- In the hourly cycle's test scope, only the rows its build recomputed (footfall_in_scope).
with

raw_counts as (
    select
        store_id,
        count(*) as n_raw
    from {{ source('simulator', 'sensor_readings') }}
    where {{ footfall_in_scope('stg_simulator__sensor_readings') }}
    group by store_id
),

staged_counts as (
    select
        store_id,
        count(*) as n_staged
    from {{ ref('stg_simulator__sensor_readings') }}
    where {{ footfall_in_scope('stg_simulator__sensor_readings') }}
    group by store_id
),

final as (
    select
        coalesce(raw_counts.store_id, staged_counts.store_id) as store_id,
        raw_counts.n_raw,
        staged_counts.n_staged
    from raw_counts
    full outer join staged_counts
        on raw_counts.store_id = staged_counts.store_id
    where raw_counts.n_raw is distinct from staged_counts.n_staged
)

select * from final
