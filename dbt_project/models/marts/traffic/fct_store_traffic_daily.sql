{{
    config(
        unique_key=['store_id', 'local_date'],
        meta={'footfall_reach': 'expected_windows'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- Incremental: a run recomputes the days the hourly facts recomputed, with 28 more days of
-- history for the trends (docs: incremental_lookback).
-- One row per store and local day: its hours summed (23, 24 or 25 clock hours), sensor-hours
-- by status, and the same-weekday trend measures by date.
{% set trend_partition = ['store_id', 'isodow'] %}
with

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

store_hourly as (
    select store_hourly.*
    from {{ ref('fct_store_traffic_hourly') }} as store_hourly
    {{ footfall_reprocess_filter('store_hourly', 'local_date', footfall_history_daily_trends()) }}
),

daily as (
    select
        store_id,
        local_date,
        local_day_number,
        isodow,
        count(*)::integer as n_hours,
        count_if(is_open_hour)::integer as n_open_hours,
        max(n_sensors)::integer as n_sensors,
        sum(n_open_sensor_hours)::integer as n_open_sensor_hours,
        sum(n_ok_hours)::integer as n_ok_hours,
        sum(n_failed_hours)::integer as n_failed_hours,
        sum(n_anomalous_hours)::integer as n_anomalous_hours,
        sum(n_missing_hours)::integer as n_missing_hours,
        sum(n_closed_hours)::integer as n_closed_hours,
        sum(visits_raw)::bigint as visits_raw,
        sum(visits_clean)::double as visits_clean
    from store_hourly
    group by
        store_id,
        local_date,
        local_day_number,
        isodow
),

trend_lags as (
    select
        *,
        {{ footfall_trend_lags('visits_clean') }}
    from daily
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
    {{ footfall_reprocess_filter('trends', 'local_date') }}
),

final as (
    select
        store_id,
        local_date,
        local_day_number,
        isodow,
        n_hours,
        n_open_hours,
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
