-- A day is the sum of its hours: each sensor-day of fct_sensor_traffic_daily equals the sum
-- of that sensor's hours of the local day in fct_sensor_traffic_hourly, in visits and in
-- hours (a DST day has 23 or 25). Returns the days that differ.
with

sensor_days as (
    select * from {{ ref('fct_sensor_traffic_daily') }}
),

summed_hours as (
    select
        store_id,
        sensor_id,
        local_date,
        count(*) as n_hours,
        sum(visits_raw) as visits_raw,
        sum(visits_clean) as visits_clean,
        sum(n_ok_hours) as n_ok_hours
    from {{ ref('fct_sensor_traffic_hourly') }}
    group by
        store_id,
        sensor_id,
        local_date
),

final as (
    select
        coalesce(sensor_days.store_id, summed_hours.store_id) as store_id,
        coalesce(sensor_days.sensor_id, summed_hours.sensor_id) as sensor_id,
        coalesce(sensor_days.local_date, summed_hours.local_date) as local_date,
        sensor_days.n_hours as day_n_hours,
        summed_hours.n_hours as hours_n_hours,
        sensor_days.visits_clean as day_visits_clean,
        summed_hours.visits_clean as hours_visits_clean
    from sensor_days
    full outer join summed_hours
        on
            sensor_days.store_id = summed_hours.store_id
            and sensor_days.sensor_id = summed_hours.sensor_id
            and sensor_days.local_date = summed_hours.local_date
    where
        sensor_days.store_id is null
        or summed_hours.store_id is null
        or sensor_days.n_hours != summed_hours.n_hours
        or sensor_days.visits_raw is distinct from summed_hours.visits_raw
        or abs(sensor_days.visits_clean - summed_hours.visits_clean) > 1e-6
        or sensor_days.n_ok_hours != summed_hours.n_ok_hours
)

select * from final
