"""Queries of the alert history on a snapshot of the marts, for the dashboard's Alerts page.

Every function takes ``q(sql, params) -> DataFrame`` (the dashboard's cached runner, or a
plain one) and reads only `fct_alerts` and `fct_store_health_daily`, never the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pandas as pd

Query = Callable[[str, Sequence[object]], pd.DataFrame]

ALERT_TABLES = ("fct_alerts", "fct_sensor_health_daily", "fct_store_health_daily")
RULE_LABELS = {
    "silent_sensor": "Silent sensor",
    "silent_store": "Silent store",
    "sensor_failure_rate": "Sensor failures",
    "sensor_anomaly_rate": "Sensor anomalies",
    "sensor_traffic_drop": "Sensor traffic drop",
    "store_traffic_drop": "Store traffic drop",
    "store_below_floor": "Store below its floor",
}


def _in(values: Sequence[object]) -> str:
    return f"({', '.join('?' * len(values))})" if values else "(null)"


def missing_tables(q: Query) -> list[str]:
    """The alert marts this snapshot lacks (published before they existed)."""
    present = set(q("select table_name from duckdb_tables()", ())["table_name"])
    return [t for t in ALERT_TABLES if t not in present]


def episodes(q: Query, stores: Sequence[str], start: date, end: date) -> pd.DataFrame:
    """Episodes of the stores that overlap [start, end] (UTC dates), most recent first.

    Adds `subject` (`berlin` or `berlin/2`), `ended_utc` (resolution, or last seen while
    open) and `duration_h`.
    """
    sql = f"""
        select
            alert_id, rule, severity, store_id, sensor_id,
            case when sensor_id is null then store_id else store_id || '/' || sensor_id end
                as subject,
            opened_at_utc, last_seen_utc, resolved_at_utc, is_open,
            coalesce(resolved_at_utc, last_seen_utc) as ended_utc,
            date_diff('minute', opened_at_utc, coalesce(resolved_at_utc, last_seen_utc))
                / 60.0 as duration_h,
            measured_value, threshold, message, n_periods
        from fct_alerts
        where store_id in {_in(stores)}
          and opened_at_utc < ?::date + 1
          and coalesce(resolved_at_utc, last_seen_utc) >= ?::date
        order by is_open desc, severity = 'critical' desc, opened_at_utc desc
    """
    return q(sql, [*stores, end, start])


def open_alerts(q: Query, stores: Sequence[str]) -> pd.DataFrame:
    """The alerts open now (in the snapshot), critical first."""
    sql = f"""
        select
            alert_id, rule, severity, store_id, sensor_id,
            case when sensor_id is null then store_id else store_id || '/' || sensor_id end
                as subject,
            opened_at_utc, last_seen_utc, measured_value, threshold, message
        from fct_alerts
        where is_open and store_id in {_in(stores)}
        order by severity = 'critical' desc, opened_at_utc
    """
    return q(sql, list(stores))


def store_health(q: Query, stores: Sequence[str], start: date, end: date) -> pd.DataFrame:
    """Per store and local day: traffic against the baseline and the health rates."""
    sql = f"""
        select
            store_id, local_date, is_open_day, is_complete_day,
            traffic_vs_baseline_pct, failure_rate_pct, anomaly_rate_pct, silent_rate_pct,
            n_sensors_silent, visits_estimated, floor_visits
        from fct_store_health_daily
        where store_id in {_in(stores)} and local_date between ? and ?
        order by store_id, local_date
    """
    return q(sql, [*stores, start, end])


def sensor_health(q: Query, store: str, start: date, end: date) -> pd.DataFrame:
    """Per sensor and local day of one store: silent hours and the health rates."""
    sql = """
        select
            store_id, sensor_id, local_date, n_open_hours, n_silent_open_hours,
            failure_rate_pct, anomaly_rate_pct, silent_rate_pct, traffic_vs_baseline_pct
        from fct_sensor_health_daily
        where store_id = ? and local_date between ? and ? and n_open_hours > 0
        order by sensor_id, local_date
    """
    return q(sql, [store, start, end])
