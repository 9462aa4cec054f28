{{
    config(
        unique_key=['store_id', 'sensor_id', 'reading_start_utc'],
        meta={'footfall_bounds': 'staged'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- One row per (store, sensor, UTC hour) reported by the API: deduplicated (the latest load
-- wins), the -1 sentinel turned into a status, and the hour placed in the store's local time.
-- Incremental: a run takes the raw rows loaded since the last one (`_loaded_at`), so the
-- millions of older readings are neither re-read nor re-converted; a key loaded again
-- replaces its row.
with

source as (
    select * from {{ source('simulator', 'sensor_readings') }}
    {% if is_incremental() %}
        where _loaded_at > (select max(loaded_at_utc) from {{ this }})
    {% endif %}
),

stores as (
    select * from {{ ref('stg_simulator__stores') }}
),

-- A hash aggregate rather than a window: the raw table holds millions of rows.
deduplicated as (
    select
        store_id,
        sensor_id,
        reading_start_utc,
        {{ footfall_arg_max('visits', '_loaded_at') }} as visits,
        max(_loaded_at) as loaded_at_utc
    from source
    group by
        store_id,
        sensor_id,
        reading_start_utc
),

final as (
    select
        deduplicated.store_id::string as store_id,
        deduplicated.sensor_id::integer as sensor_id,
        deduplicated.reading_start_utc::timestamp as reading_start_utc,
        {{ footfall_utc_to_local(
            'deduplicated.reading_start_utc::timestamp', 'stores.timezone'
        ) }} as reading_start_local,
        deduplicated.visits::integer as visits_reported,
        case when deduplicated.visits >= 0 then deduplicated.visits::integer end as visits_raw,
        -- -1 is the API's failure sentinel; no other negative value is expected (a test checks).
        case when deduplicated.visits >= 0 then 'reported' else 'failed' end as reading_status,
        deduplicated.loaded_at_utc::timestamp as loaded_at_utc
    from deduplicated
    left join stores
        on deduplicated.store_id = stores.store_id
)

select * from final
