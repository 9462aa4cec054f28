-- One row per alert episode: a run of consecutive evaluations of one rule on one store or
-- sensor in which the rule fired (docs: alert_rules, alert_episodes); resolved at the start
-- of the next evaluated period in which the rule did not fire, open (resolved_at_utc null)
-- while it still fires.
--
-- The silent rules (silent_sensor, silent_store) are evaluated per open hour: each run of
-- silent open hours long enough is one episode, resolved at the store's next open hour. The
-- daily rules are evaluated per local day: the firing days that follow the same quiet day
-- are one episode, resolved at the next quiet day. Both are found from the few silent hours
-- and firing days alone, never with a window over the millions of sensor-hours or the
-- hundreds of thousands of evaluated days: the model is rebuilt on every run, in well under
-- a second on the default fleet's full history.
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
                then {{ footfall_format(
                    'store {} has given no reading from any sensor for {} open hours'
                    ~ ' (since {} UTC)',
                    [
                        'store_id',
                        'n_silent_open_hours',
                        footfall_strftime('silent_since_utc', '%Y-%m-%d %H:%M'),
                    ]
                ) }}
            else {{ footfall_format(
                'sensor {}/{} has given no reading for {} open hours (since {} UTC)',
                [
                    'store_id',
                    'sensor_id',
                    'n_silent_open_hours',
                    footfall_strftime('silent_since_utc', '%Y-%m-%d %H:%M'),
                ]
            ) }}
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

-- The daily rules, one row per evaluated day: firing or not, and what was measured. The
-- messages are written once per episode, below.
sensor_failure_rate as (
    select
        'sensor_failure_rate' as rule,
        store_id,
        sensor_id,
        local_date,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        failure_rate_pct > {{ failure_pct }} as is_firing,
        failure_rate_pct as measured_value
    from sensor_days
    where n_open_hours >= {{ min_open_hours }}
),

sensor_anomaly_rate as (
    select
        'sensor_anomaly_rate' as rule,
        store_id,
        sensor_id,
        local_date,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        anomaly_rate_pct > {{ anomaly_pct }} as is_firing,
        anomaly_rate_pct as measured_value
    from sensor_days
    where
        n_observed_open_hours >= {{ min_open_hours }}
        and not is_store_drop_day
),

sensor_traffic_drop as (
    select
        'sensor_traffic_drop' as rule,
        store_id,
        sensor_id,
        local_date,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        traffic_vs_baseline_pct < 100 - {{ drop_pct }} as is_firing,
        traffic_vs_baseline_pct as measured_value
    from sensor_days
    where
        n_baseline_hours >= {{ drop_min_hours }}
        and traffic_vs_baseline_pct is not null
        and not is_store_drop_day
),

store_traffic_drop as (
    select
        'store_traffic_drop' as rule,
        store_id,
        null::integer as sensor_id,
        local_date,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        traffic_vs_baseline_pct < 100 - {{ drop_pct }} as is_firing,
        traffic_vs_baseline_pct as measured_value
    from store_health
    where
        n_baseline_hours >= {{ drop_min_hours }}
        and traffic_vs_baseline_pct is not null
),

store_below_floor as (
    select
        'store_below_floor' as rule,
        store_id,
        null::integer as sensor_id,
        local_date,
        day_start_utc as period_start_utc,
        day_end_utc as period_end_utc,
        visits_estimated < floor_visits as is_firing,
        visits_estimated as measured_value
    from store_health
    where
        is_complete_day
        and is_open_day
        and floor_visits > 0
        and visits_estimated is not null
),

store_floors as (
    select
        store_id,
        local_date,
        floor_visits
    from store_health
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

-- Episodes from the firing days alone (a handful of the hundreds of thousands of evaluated
-- days): the firing days that follow the same last quiet day (an evaluated day that did not
-- fire) are consecutive, one episode, resolved at the first quiet day after its last one.
firing_days as (
    select *
    from daily_evaluations
    where is_firing
),

quiet_days as (
    select
        rule,
        store_id,
        sensor_id,
        period_start_utc
    from daily_evaluations
    where not is_firing
),

firing_after_quiet as (
    select
        firing_days.rule,
        firing_days.store_id,
        firing_days.sensor_id,
        firing_days.local_date,
        firing_days.period_start_utc,
        firing_days.period_end_utc,
        firing_days.measured_value,
        max(quiet_days.period_start_utc) as last_quiet_before_utc
    from firing_days
    left join quiet_days
        on
            firing_days.rule = quiet_days.rule
            and firing_days.store_id = quiet_days.store_id
            and firing_days.sensor_id is not distinct from quiet_days.sensor_id
            and firing_days.period_start_utc > quiet_days.period_start_utc
    group by
        firing_days.rule,
        firing_days.store_id,
        firing_days.sensor_id,
        firing_days.local_date,
        firing_days.period_start_utc,
        firing_days.period_end_utc,
        firing_days.measured_value
),

firing_runs as (
    select
        rule,
        store_id,
        sensor_id,
        min(period_start_utc) as opened_at_utc,
        max(period_start_utc) as last_period_start_utc,
        max(period_end_utc) as last_seen_utc,
        -- what the episode's last period measured, and on which day
        {{ footfall_arg_max('measured_value', 'period_start_utc') }} as measured_value,
        {{ footfall_arg_max('local_date', 'period_start_utc') }} as local_date,
        count(*) as n_periods
    from firing_after_quiet
    group by
        rule,
        store_id,
        sensor_id,
        last_quiet_before_utc
),

daily_episodes as (
    select
        firing_runs.rule,
        firing_runs.store_id,
        firing_runs.sensor_id,
        firing_runs.opened_at_utc,
        firing_runs.last_seen_utc,
        -- null while no evaluated day after the episode is quiet: it still fires
        min(quiet_days.period_start_utc) as resolved_at_utc,
        firing_runs.measured_value,
        firing_runs.local_date,
        firing_runs.n_periods
    from firing_runs
    left join quiet_days
        on
            firing_runs.rule = quiet_days.rule
            and firing_runs.store_id = quiet_days.store_id
            and firing_runs.sensor_id is not distinct from quiet_days.sensor_id
            and firing_runs.last_period_start_utc < quiet_days.period_start_utc
    group by
        firing_runs.rule,
        firing_runs.store_id,
        firing_runs.sensor_id,
        firing_runs.opened_at_utc,
        firing_runs.last_seen_utc,
        firing_runs.measured_value,
        firing_runs.local_date,
        firing_runs.n_periods
),

daily_alerts as (
    select
        daily_episodes.rule,
        daily_episodes.store_id,
        daily_episodes.sensor_id,
        daily_episodes.opened_at_utc,
        daily_episodes.last_seen_utc,
        daily_episodes.resolved_at_utc,
        case
            when daily_episodes.rule like 'store%' then 'critical' else 'warning'
        end as severity,
        daily_episodes.measured_value,
        case daily_episodes.rule
            when 'sensor_failure_rate' then {{ failure_pct }}
            when 'sensor_anomaly_rate' then {{ anomaly_pct }}
            when 'store_below_floor' then store_floors.floor_visits
            else 100 - {{ drop_pct }}
        end::double as threshold,
        case daily_episodes.rule
            when 'sensor_failure_rate'
                then {{ footfall_format(
                    'sensor {}/{} failed in {:.1f} % of its open hours on {}'
                    ~ ' (alert above {} %)',
                    [
                        'daily_episodes.store_id',
                        'daily_episodes.sensor_id',
                        'daily_episodes.measured_value',
                        footfall_strftime('daily_episodes.local_date', '%Y-%m-%d'),
                        failure_pct | string,
                    ]
                ) }}
            when 'sensor_anomaly_rate'
                then {{ footfall_format(
                    'sensor {}/{}: {:.1f} % of its open-hour readings were anomalous on {}'
                    ~ ' (alert above {} %)',
                    [
                        'daily_episodes.store_id',
                        'daily_episodes.sensor_id',
                        'daily_episodes.measured_value',
                        footfall_strftime('daily_episodes.local_date', '%Y-%m-%d'),
                        anomaly_pct | string,
                    ]
                ) }}
            when 'sensor_traffic_drop'
                then {{ footfall_format(
                    'sensor {}/{} counted {:.1f} % of its same-weekday baseline on {}'
                    ~ ' (alert below {} %)',
                    [
                        'daily_episodes.store_id',
                        'daily_episodes.sensor_id',
                        'daily_episodes.measured_value',
                        footfall_strftime('daily_episodes.local_date', '%Y-%m-%d'),
                        '100 - ' ~ drop_pct,
                    ]
                ) }}
            when 'store_traffic_drop'
                then {{ footfall_format(
                    'store {} counted {:.1f} % of its same-weekday baseline on {}'
                    ~ ' (alert below {} %)',
                    [
                        'daily_episodes.store_id',
                        'daily_episodes.measured_value',
                        footfall_strftime('daily_episodes.local_date', '%Y-%m-%d'),
                        '100 - ' ~ drop_pct,
                    ]
                ) }}
            when 'store_below_floor'
                then {{ footfall_format(
                    'store {} had {:,.0f} visits on {}, below its floor of {:,.0f}',
                    [
                        'daily_episodes.store_id',
                        'daily_episodes.measured_value',
                        footfall_strftime('daily_episodes.local_date', '%Y-%m-%d'),
                        'store_floors.floor_visits',
                    ]
                ) }}
        end as message,
        daily_episodes.n_periods
    from daily_episodes
    left join store_floors
        on
            daily_episodes.rule = 'store_below_floor'
            and daily_episodes.store_id = store_floors.store_id
            and daily_episodes.local_date = store_floors.local_date
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
                coalesce(sensor_id::string, ''),
                {{ footfall_strftime('opened_at_utc', '%Y-%m-%dT%H:%M:%S') }}
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
