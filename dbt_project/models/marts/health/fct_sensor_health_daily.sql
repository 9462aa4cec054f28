{{
    config(
        unique_key=['store_id', 'sensor_id', 'local_date'],
        meta={'footfall_reach': 'expected_windows'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- One row per sensor and local day: how the sensor behaved (failure and anomaly rates over its
-- open hours, silent open hours) and how much it counted against its same-weekday baseline
-- (docs: sensor_health, traffic_vs_baseline). Input of the alert rules (fct_alerts).
-- Incremental: a run recomputes the days the hourly facts recomputed (docs:
-- incremental_lookback); a day depends on its own hours only.
with

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

hourly as (
    select hourly.*
    from {{ ref('fct_sensor_traffic_hourly') }} as hourly
    {{ footfall_reprocess_filter('hourly', 'local_date') }}
),

traffic_daily as (
    select traffic_daily.*
    from {{ ref('fct_sensor_traffic_daily') }} as traffic_daily
    {{ footfall_reprocess_filter('traffic_daily', 'local_date') }}
),

open_hours as (
    select
        store_id,
        sensor_id,
        local_date,
        status,
        visits_raw,
        visits_expected,
        status in ('ok', 'anomalous') as is_observed,
        status in ('ok', 'anomalous') and visits_expected is not null as has_baseline
    from hourly
    where is_open_hour
),

days as (
    select
        store_id,
        sensor_id,
        local_date,
        local_day_number,
        isodow,
        min(hour_start_utc) as day_start_utc,
        max(hour_start_utc) + interval 1 hour as day_end_utc,
        count(*)::integer as n_hours
    from hourly
    group by
        store_id,
        sensor_id,
        local_date,
        local_day_number,
        isodow
),

open_day_counts as (
    select
        store_id,
        sensor_id,
        local_date,
        count(*)::integer as n_open_hours,
        count_if(status = 'ok')::integer as n_ok_open_hours,
        count_if(status = 'failed')::integer as n_failed_open_hours,
        count_if(status = 'anomalous')::integer as n_anomalous_open_hours,
        count_if(status = 'missing')::integer as n_missing_open_hours,
        count_if(is_observed)::integer as n_observed_open_hours,
        count_if(has_baseline)::integer as n_baseline_hours,
        sum(case when has_baseline then visits_raw end)::bigint as visits_observed,
        sum(case when has_baseline then visits_expected end)::double as visits_baseline,
        sum(
            case when is_observed then visits_raw else visits_expected end
        )::double as visits_estimated
    from open_hours
    group by
        store_id,
        sensor_id,
        local_date
),

joined as (
    select
        days.store_id,
        days.sensor_id,
        days.local_date,
        days.local_day_number,
        days.isodow,
        days.day_start_utc,
        days.day_end_utc,
        days.n_hours,
        coalesce(counts.n_open_hours, 0) as n_open_hours,
        coalesce(counts.n_ok_open_hours, 0) as n_ok_open_hours,
        coalesce(counts.n_failed_open_hours, 0) as n_failed_open_hours,
        coalesce(counts.n_anomalous_open_hours, 0) as n_anomalous_open_hours,
        coalesce(counts.n_missing_open_hours, 0) as n_missing_open_hours,
        coalesce(counts.n_observed_open_hours, 0) as n_observed_open_hours,
        coalesce(counts.n_baseline_hours, 0) as n_baseline_hours,
        counts.visits_observed,
        counts.visits_baseline,
        counts.visits_estimated,
        traffic.visits_clean,
        traffic.visits_clean_ma_4w,
        traffic.deviation_from_ma_4w_pct,
        -- a day is complete once the store's data reaches a later day
        days.local_date < max(days.local_date) over (partition by days.store_id)
            as is_complete_day
    from days
    left join open_day_counts as counts
        on
            days.store_id = counts.store_id
            and days.sensor_id = counts.sensor_id
            and days.local_date = counts.local_date
    left join traffic_daily as traffic
        on
            days.store_id = traffic.store_id
            and days.sensor_id = traffic.sensor_id
            and days.local_date = traffic.local_date
),

final as (
    select
        store_id,
        sensor_id::integer as sensor_id,
        local_date,
        local_day_number::integer as local_day_number,
        isodow::integer as isodow,
        day_start_utc::timestamp as day_start_utc,
        day_end_utc::timestamp as day_end_utc,
        is_complete_day,
        n_hours::integer as n_hours,
        n_open_hours::integer as n_open_hours,
        n_ok_open_hours::integer as n_ok_open_hours,
        n_failed_open_hours::integer as n_failed_open_hours,
        n_anomalous_open_hours::integer as n_anomalous_open_hours,
        n_missing_open_hours::integer as n_missing_open_hours,
        (n_failed_open_hours + n_missing_open_hours)::integer as n_silent_open_hours,
        n_observed_open_hours::integer as n_observed_open_hours,
        (
            100.0 * n_failed_open_hours / nullif(n_open_hours, 0)
        )::double as failure_rate_pct,
        (
            100.0 * n_anomalous_open_hours / nullif(n_observed_open_hours, 0)
        )::double as anomaly_rate_pct,
        (
            100.0 * (n_failed_open_hours + n_missing_open_hours) / nullif(n_open_hours, 0)
        )::double as silent_rate_pct,
        n_baseline_hours::integer as n_baseline_hours,
        visits_observed::bigint as visits_observed,
        visits_baseline::double as visits_baseline,
        (100.0 * visits_observed / nullif(visits_baseline, 0))::double
            as traffic_vs_baseline_pct,
        visits_estimated::double as visits_estimated,
        visits_clean::double as visits_clean,
        visits_clean_ma_4w::double as visits_clean_ma_4w,
        deviation_from_ma_4w_pct::double as deviation_from_ma_4w_pct
    from joined
)

select * from final
