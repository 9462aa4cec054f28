-- A day is the sum of its hours: each store-day of fct_store_traffic_daily equals the sum of
-- the store's hours of that local day in fct_store_traffic_hourly, in clock hours (23 or 25
-- on DST days), visits and sensor-hours. (The sensor facts are tied in by
-- assert_store_equals_sum_of_its_sensors.) Returns the days that differ.
-- In the hourly cycle's test scope, only the rows its build recomputed (footfall_in_scope).
with

store_days as (
    select * from {{ ref('fct_store_traffic_daily') }}
    where {{ footfall_in_scope('fct_store_traffic_daily') }}
),

summed_hours as (
    select
        store_id,
        local_date,
        count(*) as n_hours,
        sum(visits_raw) as visits_raw,
        sum(visits_clean) as visits_clean,
        sum(n_ok_hours) as n_ok_hours,
        sum(n_missing_hours) as n_missing_hours
    from {{ ref('fct_store_traffic_hourly') }}
    where {{ footfall_in_scope('fct_store_traffic_daily', 'local_date') }}
    group by
        store_id,
        local_date
),

final as (
    select
        coalesce(store_days.store_id, summed_hours.store_id) as store_id,
        coalesce(store_days.local_date, summed_hours.local_date) as local_date,
        store_days.n_hours as day_n_hours,
        summed_hours.n_hours as hours_n_hours,
        store_days.visits_clean as day_visits_clean,
        summed_hours.visits_clean as hours_visits_clean
    from store_days
    full outer join summed_hours
        on
            store_days.store_id = summed_hours.store_id
            and store_days.local_date = summed_hours.local_date
    where
        store_days.store_id is null
        or summed_hours.store_id is null
        or store_days.n_hours != summed_hours.n_hours
        or store_days.visits_raw is distinct from summed_hours.visits_raw
        or abs(store_days.visits_clean - summed_hours.visits_clean) > 1e-6
        or store_days.n_ok_hours != summed_hours.n_ok_hours
        or store_days.n_missing_hours != summed_hours.n_missing_hours
)

select * from final
