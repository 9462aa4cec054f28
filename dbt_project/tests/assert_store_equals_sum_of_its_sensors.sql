-- A store is the sum of its sensors: each store-day of fct_store_traffic_daily (built from
-- the store's hours) equals the sum of its sensors' days in fct_sensor_traffic_daily (built
-- from the sensors' hours), in visits and in sensor-hours by status. Returns the days that
-- differ (clean visits compared to 1e-6 of a visit).
-- In the hourly cycle's test scope, only the rows its build recomputed (footfall_in_scope).
with

store_days as (
    select * from {{ ref('fct_store_traffic_daily') }}
    where {{ footfall_in_scope('fct_store_traffic_daily') }}
),

sensor_days as (
    select
        store_id,
        local_date,
        sum(visits_raw) as visits_raw,
        sum(visits_clean) as visits_clean,
        sum(n_ok_hours) as n_ok_hours,
        sum(n_failed_hours) as n_failed_hours,
        sum(n_anomalous_hours) as n_anomalous_hours,
        sum(n_missing_hours) as n_missing_hours,
        sum(n_closed_hours) as n_closed_hours
    from {{ ref('fct_sensor_traffic_daily') }}
    where {{ footfall_in_scope('fct_store_traffic_daily', 'local_date') }}
    group by
        store_id,
        local_date
),

final as (
    select
        coalesce(store_days.store_id, sensor_days.store_id) as store_id,
        coalesce(store_days.local_date, sensor_days.local_date) as local_date,
        store_days.visits_clean as store_visits_clean,
        sensor_days.visits_clean as sensors_visits_clean,
        store_days.visits_raw as store_visits_raw,
        sensor_days.visits_raw as sensors_visits_raw
    from store_days
    full outer join sensor_days
        on
            store_days.store_id = sensor_days.store_id
            and store_days.local_date = sensor_days.local_date
    where
        store_days.store_id is null
        or sensor_days.store_id is null
        or store_days.visits_raw is distinct from sensor_days.visits_raw
        or abs(store_days.visits_clean - sensor_days.visits_clean) > 1e-6
        or store_days.n_ok_hours != sensor_days.n_ok_hours
        or store_days.n_failed_hours != sensor_days.n_failed_hours
        or store_days.n_anomalous_hours != sensor_days.n_anomalous_hours
        or store_days.n_missing_hours != sensor_days.n_missing_hours
        or store_days.n_closed_hours != sensor_days.n_closed_hours
)

select * from final
