-- One row per alert episode: a run of consecutive evaluations of one rule on one store or
-- sensor in which the rule fired (docs: alert_rules, alert_episodes). The daily rules are
-- first evaluated per local day, then consecutive firing days are grouped into episodes; an
-- episode is resolved at the start of the next evaluated day in which the rule did not fire,
-- and open (resolved_at_utc null) while it still fires.
--
-- The silent rules (silent_sensor, silent_store) are evaluated per open hour, and an open
-- hour with a reading ends a run of silent ones: each run of silent open hours long enough
-- is one episode, resolved at the store's next open hour. They are found from the silent
-- hours alone (a few thousand of the millions of sensor-hours), numbered by the store's open
-- hours (every sensor has every hour of its store's calendar, int_sensor_hours), so no window
-- runs over the hourly facts.
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

store_hourly as (
    select * from {{ ref('fct_store_traffic_hourly') }}
),

sensor_health as (
    select * from {{ ref('fct_sensor_health_daily') }}
),

store_health as (
    select * from {{ ref('fct_store_health_daily') }}
),

-- The store's open hours, numbered: consecutive open hours have consecutive numbers (the
-- closed hours between two open ones neither count nor break a run).
store_open_hours as (
    select
        store_id,
        hour_start_utc,
        row_number() over (
            partition by store_id
            order by hour_start_utc
        ) as open_hour_number,
        -- every sensor of the store without a reading
        n_failed_hours + n_missing_hours = n_sensors as is_store_silent
    from store_hourly
    where is_open_hour
),

-- silent_sensor: consecutive open hours without a reading (failed or missing)
silent_sensor_hours as (
    select
        hourly.store_id,
        hourly.sensor_id,
        hourly.hour_start_utc,
        store_open_hours.open_hour_number
    from hourly
    inner join store_open_hours
        on
            hourly.store_id = store_open_hours.store_id
            and hourly.hour_start_utc = store_open_hours.hour_start_utc
    where
        hourly.is_open_hour
        and hourly.status in ('failed', 'missing')
),

silent_store_hours as (
    select
        store_id,
        null::integer as sensor_id,
        hour_start_utc,
        open_hour_number
    from store_open_hours
    where is_store_silent
),

silent_hours as (
    select
        'silent_sensor' as rule,
        *
    from silent_sensor_hours
    union all
    select
        'silent_store' as rule,
        *
    from silent_store_hours
),

-- Gaps and islands: within a run of consecutive numbers, number minus rank is constant.
silent_runs as (
    select
        *,
        open_hour_number - row_number() over (
            partition by rule, store_id, sensor_id
            order by open_hour_number
        ) as run_key
    from silent_hours
),

silent_counts as (
    select
        *,
        row_number() over (
            partition by rule, store_id, sensor_id, run_key
            order by open_hour_number
        ) as n_silent_open_hours,
        min(hour_start_utc) over (
            partition by rule, store_id, sensor_id, run_key
        ) as silent_since_utc
    from silent_runs
),

silent_episodes as (
    select
        rule,
        store_id,
        sensor_id,
        -- the open hour in which the run reached the threshold
        min(hour_start_utc) as opened_at_utc,
        max(hour_start_utc) + interval 1 hour as last_seen_utc,
        max(open_hour_number) as last_open_hour_number,
        max(n_silent_open_hours) as n_silent_open_hours,
        min(silent_since_utc) as silent_since_utc,
        count(*) as n_periods
    from silent_counts
    where n_silent_open_hours >= {{ silent_warning }}
    group by
        rule,
        store_id,
        sensor_id,
        run_key
),

silent_episodes_resolved as (
    select
        silent_episodes.*,
        -- the store's next open hour (there is none yet while the run goes on)
        next_open_hour.hour_start_utc as resolved_at_utc,
        case
            when silent_episodes.rule = 'silent_store' then 'critical'
            when silent_episodes.n_silent_open_hours >= {{ silent_critical }} then 'critical'
            else 'warning'
        end as severity,
        case
            when silent_episodes.rule = 'silent_store' then {{ silent_warning }}
            when silent_episodes.n_silent_open_hours >= {{ silent_critical }}
                then {{ silent_critical }}
            else {{ silent_warning }}
        end as threshold
    from silent_episodes
    left join store_open_hours as next_open_hour
        on
            silent_episodes.store_id = next_open_hour.store_id
            and silent_episodes.last_open_hour_number + 1 = next_open_hour.open_hour_number
),

silent_alerts as (
    select
        rule,
        store_id,
        sensor_id,
        opened_at_utc,
        last_seen_utc,
        resolved_at_utc,
        severity,
        n_silent_open_hours::double as measured_value,
        threshold::double as threshold,
        case
            when rule = 'silent_store'
                then format(
                    'store {} has given no reading from any sensor for {} open hours'
                    || ' (since {} UTC)',
                    store_id,
                    n_silent_open_hours,
                    strftime(silent_since_utc, '%Y-%m-%d %H:%M')
                )
            else format(
                'sensor {}/{} has given no reading for {} open hours (since {} UTC)',
                store_id,
                sensor_id,
                n_silent_open_hours,
                strftime(silent_since_utc, '%Y-%m-%d %H:%M')
            )
        end as message,
        n_periods
    from silent_episodes_resolved
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

daily_evaluations as (
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
    from daily_evaluations
),

daily_alerts as (
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

episodes as (
    select
        rule,
        store_id,
        sensor_id,
        opened_at_utc,
        last_seen_utc,
        resolved_at_utc,
        severity,
        measured_value,
        threshold,
        message,
        n_periods
    from silent_alerts
    union all
    select
        rule,
        store_id,
        sensor_id,
        opened_at_utc,
        last_seen_utc,
        resolved_at_utc,
        severity,
        measured_value,
        threshold,
        message,
        n_periods
    from daily_alerts
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
