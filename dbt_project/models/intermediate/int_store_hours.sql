{{
    config(
        unique_key=['store_id', 'hour_start_utc'],
        meta={'footfall_bounds': 'appended'},
    )
}}
-- The hour calendar of each store: one row per UTC hour from the store's first modelled local
-- midnight (its opening, or the `footfall_start_date` var when later) to its last loaded hour,
-- with the local time, weekday and opening status of the hour. A local day has 23 or 25 rows
-- at DST changes; the repeated local hour of an autumn change gets local_hour_occurrence 2.
--
-- The last loaded hour is the last hour the loader has read from the API for the store
-- (stg_loader__load_progress), readings or not, so that a store whose sensors all went
-- silent keeps getting hours, "missing" ones, which the silent alerts see (docs:
-- spine_end). Without a record of the loader's progress, it is the store's last reading.
--
-- Incremental: an hour's calendar row depends on the hour and the store's description only,
-- so a run appends the hours after the store's last modelled one (a new store in full).
with

stores as (
    select * from {{ ref('stg_simulator__stores') }}
),

readings as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
),

load_progress as (
    select * from {{ ref('stg_loader__load_progress') }}
),

last_reading as (
    select
        store_id,
        max(reading_start_utc) as last_reading_start_utc
    from readings
    group by store_id
),

last_covered as (
    select
        store_id,
        max(covered_until_utc) - interval 1 hour as last_covered_start_utc
    from load_progress
    where covered_until_utc > window_start_utc
    group by store_id
),

{% if is_incremental() %}
    last_modelled as (
        select
            store_id,
            max(hour_start_utc) as last_modelled_utc
        from {{ this }}
        group by store_id
    ),
{% endif %}

bounds as (
    select
        stores.store_id,
        stores.timezone,
        stores.open_hour_local,
        stores.close_hour_local,
        stores.closed_isodow,
        -- greatest() skips nulls: either one alone will do
        greatest(
            last_covered.last_covered_start_utc,
            last_reading.last_reading_start_utc
        ) as last_hour_start_utc,
        -- local midnight of the first modelled day, as a UTC wall-clock timestamp
        {{ footfall_local_to_utc(
            footfall_first_local_date('stores.opened_on') ~ '::timestamp', 'stores.timezone'
        ) }} as first_hour_start_utc
    from stores
    left join last_reading
        on stores.store_id = last_reading.store_id
    left join last_covered
        on stores.store_id = last_covered.store_id
),

-- In an incremental run, only the hours after the store's last modelled one are generated.
hours as (
    select
        bounds.store_id,
        bounds.timezone,
        bounds.open_hour_local,
        bounds.close_hour_local,
        bounds.closed_isodow,
        {{ footfall_hour_series(
            'greatest(bounds.first_hour_start_utc, '
            ~ 'last_modelled.last_modelled_utc + interval 1 hour)'
            if is_incremental() else 'bounds.first_hour_start_utc',
            'bounds.last_hour_start_utc'
        ) }} as hour_start_utc
    from bounds
    {% if is_incremental() -%}
        left join last_modelled -- noqa: ST11
            on bounds.store_id = last_modelled.store_id
    {%- endif %}
    where bounds.first_hour_start_utc <= bounds.last_hour_start_utc
),

localised as (
    select
        store_id,
        hour_start_utc,
        timezone,
        {{ footfall_utc_to_local('hour_start_utc', 'timezone') }} as hour_start_local,
        open_hour_local,
        close_hour_local,
        closed_isodow
    from hours
),

calendar as (
    select
        store_id,
        hour_start_utc,
        hour_start_local,
        hour_start_local::date as local_date,
        {{ footfall_day_number('hour_start_local::date') }}::integer as local_day_number,
        hour(hour_start_local)::integer as local_hour,
        -- 2 when the previous UTC hour had the same local time: the repeated hour
        (
            case
                when
                    {{ footfall_utc_to_local('hour_start_utc - interval 1 hour', 'timezone') }}
                    = hour_start_local
                    then 2
                else 1
            end
        )::integer as local_hour_occurrence,
        {{ footfall_isodow('hour_start_local') }}::integer as isodow,
        open_hour_local,
        close_hour_local,
        closed_isodow
    from localised
),

final as (
    select
        store_id,
        hour_start_utc,
        hour_start_local,
        local_date,
        local_day_number,
        local_hour,
        local_hour_occurrence,
        isodow,
        (
            local_hour >= open_hour_local
            and local_hour < close_hour_local
            and not {{ footfall_list_contains('closed_isodow', 'isodow') }}
        ) as is_open_hour
    from calendar
)

select * from final
