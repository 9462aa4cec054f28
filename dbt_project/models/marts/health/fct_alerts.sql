-- One row per alert episode: a run of consecutive evaluations of one rule on one store or
-- sensor in which the rule fired (docs: alert_rules, alert_episodes). Each rule is first
-- evaluated per period (an open hour, or a local day), then consecutive firing periods are
-- grouped into episodes; an episode is resolved at the start of the next evaluated period in
-- which the rule did not fire, and open (resolved_at_utc null) while it still fires.
{% set silent_warning = var('footfall_alert_silent_open_hours') %}
{% set silent_critical = var('footfall_alert_silent_open_hours_critical') %}
{% set min_open_hours = var('footfall_alert_rate_min_open_hours') %}
{% set failure_pct = var('footfall_alert_failure_rate_pct') %}
{% set anomaly_pct = var('footfall_alert_anomaly_rate_pct') %}
{% set drop_pct = var('footfall_alert_drop_pct') %}
{% set drop_min_hours = var('footfall_alert_drop_min_hours') %}
with

hourly as (
    select * from {{ ref('fct_sensor_traffic_hourly') }}
),

sensor_health as (
    select * from {{ ref('fct_sensor_health_daily') }}
),

store_health as (
    select * from {{ ref('fct_store_health_daily') }}
),

-- silent_sensor: consecutive open hours without a reading (failed or missing)
open_hours as (
    select
        store_id,
        sensor_id,
        hour_start_utc,
        status in ('failed', 'missing') as is_silent
    from hourly
    where is_open_hour
),

silent_runs as (
    select
        *,
        -- a new run starts at every open hour with a reading
        sum(case when is_silent then 0 else 1 end) over (
            partition by store_id, sensor_id
            order by hour_start_utc
            rows between unbounded preceding and current row
        ) as run_number
    from open_hours
),

silent_counts as (
    select
        *,
        count_if(is_silent) over (
            partition by store_id, sensor_id, run_number
            order by hour_start_utc
            rows between unbounded preceding and current row
        ) as n_silent_open_hours,
        min(case when is_silent then hour_start_utc end) over (
            partition by store_id, sensor_id, run_number
        ) as silent_since_utc
    from silent_runs
),

silent_sensor as (
    select
        'silent_sensor' as rule,
        case
            when n_silent_open_hours >= {{ silent_critical }} then 'critical' else 'warning'
        end as severity,
        store_id,
        sensor_id,
        hour_start_utc as period_start_utc,
        hour_start_utc + interval 1 hour as period_end_utc,
        is_silent and n_silent_open_hours >= {{ silent_warning }} as is_firing,
        n_silent_open_hours::double as measured_value,
        (
            case
                when n_silent_open_hours >= {{ silent_critical }} then {{ silent_critical }}
                else {{ silent_warning }}
            end
        )::double as threshold,
        format(
            'sensor {}/{} has given no reading for {} open hours (since {} UTC)',
            store_id,
            sensor_id,
            n_silent_open_hours,
            strftime(silent_since_utc, '%Y-%m-%d %H:%M')
        ) as message
    from silent_counts
),

-- the store-wide drop, used to keep the sensor-level traffic rules quiet on its days
store_drop_days as (
    select
        store_id,
        local_date
    from store_health
    where
        n_baseline_hours >= {{ drop_min_hours }}
        and traffic_vs_baseline_pct < 100 - {{ drop_pct }}
),

sensor_days as (
    select
        sensor_health.*,
        store_drop_days.store_id is not null as is_store_drop_day
    from sensor_health
    left join store_drop_days
        on
            sensor_health.store_id = store_drop_days.store_id
            and sensor_health.local_date = store_drop_days.local_date
),

sensor_failure_rate as (
    select
        'sensor_failure_rate' as rule,
        'warning' as severity,
        store_id,
        sensor_id,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        failure_rate_pct > {{ failure_pct }} as is_firing,
        failure_rate_pct as measured_value,
        {{ failure_pct }}::double as threshold,
        format(
            'sensor {}/{} failed in {:.1f} % of its open hours on {} (alert above {} %)',
            store_id,
            sensor_id,
            failure_rate_pct,
            strftime(local_date, '%Y-%m-%d'),
            {{ failure_pct }}
        ) as message
    from sensor_days
    where n_open_hours >= {{ min_open_hours }}
),

sensor_anomaly_rate as (
    select
        'sensor_anomaly_rate' as rule,
        'warning' as severity,
        store_id,
        sensor_id,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        anomaly_rate_pct > {{ anomaly_pct }} as is_firing,
        anomaly_rate_pct as measured_value,
        {{ anomaly_pct }}::double as threshold,
        format(
            'sensor {}/{}: {:.1f} % of its open-hour readings were anomalous on {}'
            || ' (alert above {} %)',
            store_id,
            sensor_id,
            anomaly_rate_pct,
            strftime(local_date, '%Y-%m-%d'),
            {{ anomaly_pct }}
        ) as message
    from sensor_days
    where
        n_observed_open_hours >= {{ min_open_hours }}
        and not is_store_drop_day
),

sensor_traffic_drop as (
    select
        'sensor_traffic_drop' as rule,
        'warning' as severity,
        store_id,
        sensor_id,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        traffic_vs_baseline_pct < 100 - {{ drop_pct }} as is_firing,
        traffic_vs_baseline_pct as measured_value,
        (100 - {{ drop_pct }})::double as threshold,
        format(
            'sensor {}/{} counted {:.1f} % of its same-weekday baseline on {}'
            || ' (alert below {} %)',
            store_id,
            sensor_id,
            traffic_vs_baseline_pct,
            strftime(local_date, '%Y-%m-%d'),
            100 - {{ drop_pct }}
        ) as message
    from sensor_days
    where
        n_baseline_hours >= {{ drop_min_hours }}
        and traffic_vs_baseline_pct is not null
        and not is_store_drop_day
),

store_traffic_drop as (
    select
        'store_traffic_drop' as rule,
        'critical' as severity,
        store_id,
        null::integer as sensor_id,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        traffic_vs_baseline_pct < 100 - {{ drop_pct }} as is_firing,
        traffic_vs_baseline_pct as measured_value,
        (100 - {{ drop_pct }})::double as threshold,
        format(
            'store {} counted {:.1f} % of its same-weekday baseline on {} (alert below {} %)',
            store_id,
            traffic_vs_baseline_pct,
            strftime(local_date, '%Y-%m-%d'),
            100 - {{ drop_pct }}
        ) as message
    from store_health
    where
        n_baseline_hours >= {{ drop_min_hours }}
        and traffic_vs_baseline_pct is not null
),

store_below_floor as (
    select
        'store_below_floor' as rule,
        'critical' as severity,
        store_id,
        null::integer as sensor_id,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        visits_estimated < floor_visits as is_firing,
        visits_estimated as measured_value,
        floor_visits as threshold,
        format(
            'store {} had {:,.0f} visits on {}, below its floor of {:,.0f}',
            store_id,
            visits_estimated,
            strftime(local_date, '%Y-%m-%d'),
            floor_visits
        ) as message
    from store_health
    where
        is_complete_day
        and is_open_day
        and floor_visits > 0
        and visits_estimated is not null
),

evaluations as (
    select * from silent_sensor
    union all
    select * from sensor_failure_rate
    union all
    select * from sensor_anomaly_rate
    union all
    select * from sensor_traffic_drop
    union all
    select * from store_traffic_drop
    union all
    select * from store_below_floor
),

sequenced as (
    select
        *,
        -- consecutive firing periods share an episode number
        sum(case when is_firing then 0 else 1 end) over (
            partition by rule, store_id, sensor_id
            order by period_start_utc
            rows between unbounded preceding and current row
        ) as episode_number,
        lead(period_start_utc) over (
            partition by rule, store_id, sensor_id
            order by period_start_utc
        ) as next_period_start_utc
    from evaluations
),

episodes as (
    select
        rule,
        store_id,
        sensor_id,
        min(period_start_utc) as opened_at_utc,
        max(period_end_utc) as last_seen_utc,
        -- the last period's next start (the latest of them), null while the episode fires
        case
            when count(next_period_start_utc) = count(*) then max(next_period_start_utc)
        end as resolved_at_utc,
        case when bool_or(severity = 'critical') then 'critical' else 'warning' end
            as severity,
        arg_max(measured_value, period_start_utc) as measured_value,
        arg_max(threshold, period_start_utc) as threshold,
        arg_max(message, period_start_utc) as message,
        count(*) as n_periods
    from sequenced
    where is_firing
    group by
        rule,
        store_id,
        sensor_id,
        episode_number
),

final as (
    select
        md5(
            concat_ws(
                '|',
                rule,
                store_id,
                coalesce(sensor_id::varchar, ''),
                strftime(opened_at_utc, '%Y-%m-%dT%H:%M:%S')
            )
        ) as alert_id,
        rule,
        severity,
        store_id,
        sensor_id::integer as sensor_id,
        opened_at_utc::timestamp as opened_at_utc,
        last_seen_utc::timestamp as last_seen_utc,
        resolved_at_utc::timestamp as resolved_at_utc,
        (resolved_at_utc is null) as is_open,
        measured_value::double as measured_value,
        threshold::double as threshold,
        message,
        n_periods::integer as n_periods
    from episodes
)

select * from final
