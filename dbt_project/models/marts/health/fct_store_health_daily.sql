-- One row per store and local day: its sensors' health summed (sensor-hours), its traffic
-- against the same-weekday baseline, its estimated traffic and the floor it is held to
-- (docs: sensor_health, traffic_vs_baseline, store_floor). Input of the store alert rules.
{% set floor_overrides = var('footfall_alert_store_floor_overrides') or {} %}
with

sensor_health as (
    select * from {{ ref('fct_sensor_health_daily') }}
),

store_days as (
    select
        store_id,
        local_date,
        min(local_day_number) as local_day_number,
        min(isodow) as isodow,
        min(day_start_utc) as day_start_utc,
        max(day_end_utc) as day_end_utc,
        bool_and(is_complete_day) as is_complete_day,
        count(*) as n_sensors,
        count_if(n_silent_open_hours > 0) as n_sensors_silent,
        sum(n_open_hours) as n_open_sensor_hours,
        sum(n_ok_open_hours) as n_ok_open_hours,
        sum(n_failed_open_hours) as n_failed_open_hours,
        sum(n_anomalous_open_hours) as n_anomalous_open_hours,
        sum(n_missing_open_hours) as n_missing_open_hours,
        sum(n_silent_open_hours) as n_silent_open_hours,
        sum(n_observed_open_hours) as n_observed_open_hours,
        sum(n_baseline_hours) as n_baseline_hours,
        sum(visits_observed) as visits_observed,
        sum(visits_baseline) as visits_baseline,
        sum(visits_estimated) as visits_estimated,
        sum(visits_clean) as visits_clean
    from sensor_health
    group by
        store_id,
        local_date
),

final as (
    select
        store_id,
        local_date,
        local_day_number::integer as local_day_number,
        isodow::integer as isodow,
        day_start_utc::timestamp as day_start_utc,
        day_end_utc::timestamp as day_end_utc,
        is_complete_day,
        (n_open_sensor_hours > 0) as is_open_day,
        n_sensors::integer as n_sensors,
        n_sensors_silent::integer as n_sensors_silent,
        n_open_sensor_hours::integer as n_open_sensor_hours,
        n_ok_open_hours::integer as n_ok_open_hours,
        n_failed_open_hours::integer as n_failed_open_hours,
        n_anomalous_open_hours::integer as n_anomalous_open_hours,
        n_missing_open_hours::integer as n_missing_open_hours,
        n_silent_open_hours::integer as n_silent_open_hours,
        n_observed_open_hours::integer as n_observed_open_hours,
        (
            100.0 * n_failed_open_hours / nullif(n_open_sensor_hours, 0)
        )::double as failure_rate_pct,
        (
            100.0 * n_anomalous_open_hours / nullif(n_observed_open_hours, 0)
        )::double as anomaly_rate_pct,
        (
            100.0 * n_silent_open_hours / nullif(n_open_sensor_hours, 0)
        )::double as silent_rate_pct,
        n_baseline_hours::integer as n_baseline_hours,
        visits_observed::bigint as visits_observed,
        visits_baseline::double as visits_baseline,
        (100.0 * visits_observed / nullif(visits_baseline, 0))::double
            as traffic_vs_baseline_pct,
        visits_estimated::double as visits_estimated,
        visits_clean::double as visits_clean,
        {% if floor_overrides -%}
            (
                case store_id
                    {%- for store, floor in floor_overrides.items() %}
                        when '{{ store }}' then {{ floor }}
                    {%- endfor %}
                    else {{ var('footfall_alert_store_floor_visits') }}
                end
            )::double
        {%- else -%}
            {{ var('footfall_alert_store_floor_visits') }}::double
        {%- endif %} as floor_visits
    from store_days
)

select * from final
