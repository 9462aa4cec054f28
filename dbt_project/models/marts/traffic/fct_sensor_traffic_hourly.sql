{{
    config(
        unique_key=['store_id', 'sensor_id', 'hour_start_utc'],
        meta={'footfall_reach': 'expected_windows'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- One row per sensor and UTC hour: raw and clean visits, the hour's status as counts, and the
-- same-weekday, same-local-hour trend measures. Incremental like the classification it reads
-- (the same reach), with the history of the moving averages (footfall_history_hourly_trends).
{% set trend_partition = [
    'store_id', 'sensor_id', 'isodow', 'local_hour', 'local_hour_occurrence'
] %}
with

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

classified as (
    select classified.*
    from {{ ref('int_sensor_hours_classified') }} as classified
    {{ footfall_reprocess_filter(
        'classified', 'hour_start_utc', footfall_history_hourly_trends()
    ) }}
),

trend_lags as (
    select
        *,
        {{ footfall_trend_lags('visits_clean') }}
    from classified
    {{ footfall_trend_window(trend_partition) }}
),

trends as (
    select
        *,
        {{ footfall_trend_measures('visits_clean') }}
    from trend_lags
),

final as (
    select
        trends.store_id,
        trends.sensor_id,
        trends.hour_start_utc,
        trends.hour_start_local,
        trends.local_date,
        trends.local_hour,
        trends.local_hour_occurrence,
        trends.local_day_number,
        trends.isodow,
        trends.is_open_hour,
        trends.status,
        trends.visits_raw,
        trends.visits_expected,
        trends.expected_basis,
        trends.visits_clean,
        (trends.status = 'ok')::integer as n_ok_hours,
        (trends.status = 'failed')::integer as n_failed_hours,
        (trends.status = 'anomalous')::integer as n_anomalous_hours,
        (trends.status = 'missing')::integer as n_missing_hours,
        (trends.status = 'closed')::integer as n_closed_hours,
        case
            when trends.is_open_hour then 100.0 * (trends.status = 'ok')::integer
        end::double as data_quality_pct,
        trends.visits_clean_ma_4w,
        trends.n_ma_4w_points,
        trends.visits_clean_prev_week,
        {{ footfall_pct_change('trends.visits_clean', 'trends.visits_clean_prev_week') }}
            as visits_clean_wow_pct,
        {{ footfall_pct_change('trends.visits_clean_ma_4w', 'trends.ma_4w_prev_week') }}
            as ma_4w_wow_pct,
        {{ footfall_pct_change('trends.visits_clean', 'trends.visits_clean_ma_4w') }}
            as deviation_from_ma_4w_pct
    from trends
    {{ footfall_reprocess_filter('trends', 'hour_start_utc') }}
)

select * from final
