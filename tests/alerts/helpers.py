"""Alert rows and mart files made in the test, the shape `fct_alerts` has."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from footfall.alerts.model import Alert

T0 = dt.datetime(2024, 3, 4, 9)

FCT_ALERTS_DDL = """
create table fct_alerts (
    alert_id varchar, rule varchar, severity varchar, store_id varchar, sensor_id integer,
    opened_at_utc timestamp, last_seen_utc timestamp, resolved_at_utc timestamp,
    measured_value double, threshold double, message varchar
)
"""


def alert(
    rule: str = "silent_sensor",
    store_id: str = "madrid",
    sensor_id: int | None = 0,
    *,
    opened: dt.datetime = T0,
    last_seen: dt.datetime | None = None,
    resolved: dt.datetime | None = None,
    severity: str = "warning",
    alert_id: str | None = None,
) -> Alert:
    """An alert episode; its id is derived from what identifies it, as the mart does."""
    return Alert(
        alert_id=alert_id or f"{rule}-{store_id}-{sensor_id}-{opened:%Y%m%d%H}",
        rule=rule,
        severity=severity,
        store_id=store_id,
        sensor_id=sensor_id,
        opened_at_utc=opened,
        last_seen_utc=last_seen or opened + dt.timedelta(hours=1),
        resolved_at_utc=resolved,
        measured_value=4.0,
        threshold=3.0,
        message=f"{rule} on {store_id}/{sensor_id}",
    )


def write_alerts(path: Path, alerts: list[Alert]) -> Path:
    """A DuckDB file whose fct_alerts holds these episodes (replacing any earlier file)."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(FCT_ALERTS_DDL)
        for a in alerts:
            con.execute(
                "insert into fct_alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    a.alert_id,
                    a.rule,
                    a.severity,
                    a.store_id,
                    a.sensor_id,
                    a.opened_at_utc,
                    a.last_seen_utc,
                    a.resolved_at_utc,
                    a.measured_value,
                    a.threshold,
                    a.message,
                ],
            )
    return path
