{{
    config(
        unique_key=['store_id', 'hour_start_utc'],
        meta={'footfall_reach': 'expected_windows'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- Incremental: a run recomputes the hours the sensor facts recomputed, with 29 more days of
-- history for the trends (28, and a day for a DST change between; docs: incremental_lookback).
-- One row per store and UTC hour: its sensors summed, sensor-hours by status, and the
-- same-weekday, same-local-hour trend measures.
{% set trend_partition = ['store_id', 'isodow', 'local_hour', 'local_hour_occurrence'] %}
with

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

sensor_hourly as (
    select sensor_hourly.*
    from {{ ref('fct_sensor_traffic_hourly') }} as sensor_hourly
    {{ footfall_reprocess_filter(
        'sensor_hourly', 'hour_start_utc', footfall_history_hourly_trends()
    ) }}
),

-- Grouped on the key only (a cheap hash key); the calendar columns are the same for every
-- sensor of the hour.
store_hourly as (
    select
        store_id,
        hour_start_utc,
        any_value(hour_start_local) as hour_start_local,
        any_value(local_date) as local_date,
        any_value(local_hour) as local_hour,
        any_value(local_hour_occurrence) as local_hour_occurrence,
        any_value(local_day_number) as local_day_number,
        any_value(isodow) as isodow,
        any_value(is_open_hour) as is_open_hour,
        count(*)::integer as n_sensors,
        count_if(is_open_hour)::integer as n_open_sensor_hours,
        sum(n_ok_hours)::integer as n_ok_hours,
        sum(n_failed_hours)::integer as n_failed_hours,
        sum(n_anomalous_hours)::integer as n_anomalous_hours,
        sum(n_missing_hours)::integer as n_missing_hours,
        sum(n_closed_hours)::integer as n_closed_hours,
        sum(visits_raw)::bigint as visits_raw,
        sum(visits_clean)::double as visits_clean
    from sensor_hourly
    group by
        store_id,
        hour_start_utc
),

trend_lags as (
    select
        *,
        {{ footfall_trend_lags('visits_clean') }}
    from store_hourly
    {{ footfall_trend_window(trend_partition) }}
),

trends as (
    select
        *,
        {{ footfall_trend_measures('visits_clean') }}
    from trend_lags
),

-- In an incremental run, only the rows of the recomputed window (the rest was history).
recomputed as (
    select trends.*
    from trends
    {{ footfall_reprocess_filter('trends', 'hour_start_utc') }}
),

final as (
    select
        store_id,
        hour_start_utc,
        hour_start_local,
        local_date,
        local_hour,
        local_hour_occurrence,
        local_day_number,
        isodow,
        is_open_hour,
        n_sensors,
        n_open_sensor_hours,
        n_ok_hours,
        n_failed_hours,
        n_anomalous_hours,
        n_missing_hours,
        n_closed_hours,
        visits_raw,
        visits_clean,
        (100.0 * n_ok_hours / nullif(n_open_sensor_hours, 0))::double as data_quality_pct,
        visits_clean_ma_4w,
        n_ma_4w_points,
        visits_clean_prev_week,
        {{ footfall_pct_change('visits_clean', 'visits_clean_prev_week') }}
            as visits_clean_wow_pct,
        {{ footfall_pct_change('visits_clean_ma_4w', 'ma_4w_prev_week') }} as ma_4w_wow_pct,
        {{ footfall_pct_change('visits_clean', 'visits_clean_ma_4w') }}
            as deviation_from_ma_4w_pct
    from recomputed
)

select * from final
