"""An alert episode as the `fct_alerts` mart holds it, and how it is read from DuckDB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from footfall.settings import SEVERITIES

ALERT_COLUMNS = (
    "alert_id",
    "rule",
    "severity",
    "store_id",
    "sensor_id",
    "opened_at_utc",
    "last_seen_utc",
    "resolved_at_utc",
    "measured_value",
    "threshold",
    "message",
)


class AlertsUnavailable(RuntimeError):
    """The alerts cannot be read (no database file, or no `fct_alerts` in it)."""


@dataclass(frozen=True)
class Alert:
    """One episode of one rule on one store or sensor (a row of `fct_alerts`)."""

    alert_id: str
    rule: str
    severity: str
    store_id: str
    sensor_id: int | None
    opened_at_utc: dt.datetime
    last_seen_utc: dt.datetime
    resolved_at_utc: dt.datetime | None
    measured_value: float | None
    threshold: float | None
    message: str

    @property
    def key(self) -> str:
        """What the episode is about: the rule and its store or sensor (episodes of it vary)."""
        sensor = "" if self.sensor_id is None else str(self.sensor_id)
        return f"{self.rule}|{self.store_id}|{sensor}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at_utc is None

    @property
    def is_critical(self) -> bool:
        return self.severity == "critical"

    @property
    def subject(self) -> str:
        """Where the alert is: `paris` or `paris/3`."""
        return self.store_id if self.sensor_id is None else f"{self.store_id}/{self.sensor_id}"

    def severity_at_least(self, minimum: str) -> bool:
        return SEVERITIES.index(self.severity) >= SEVERITIES.index(minimum)

    def as_json(self) -> dict[str, object]:
        """The alert as JSON-ready values (timestamps in ISO 8601 with a Z)."""

        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "severity": self.severity,
            "store_id": self.store_id,
            "sensor_id": self.sensor_id,
            "opened_at_utc": iso(self.opened_at_utc),
            "last_seen_utc": iso(self.last_seen_utc),
            "resolved_at_utc": iso(self.resolved_at_utc),
            "measured_value": self.measured_value,
            "threshold": self.threshold,
            "message": self.message,
        }


def read_alerts(database: Path, *, open_only: bool = True) -> list[Alert]:
    """The alert episodes of `fct_alerts` in a DuckDB file (opened read-only), most severe first."""
    if not database.exists():
        raise AlertsUnavailable(
            f"{database} does not exist: build the marts first (`make build`, or `make run`)."
        )
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise AlertsUnavailable(f"cannot open {database} read-only: {exc}") from exc
    try:
        found = con.execute(
            "select table_schema from information_schema.tables where table_name = 'fct_alerts'"
            " order by table_schema = 'main' desc limit 1"
        ).fetchone()
        if found is None:
            raise AlertsUnavailable(
                f"{database} has no fct_alerts table: run `dbt build` and `make publish`."
            )
        where = "where resolved_at_utc is null" if open_only else ""
        rows = con.execute(
            f'select {", ".join(ALERT_COLUMNS)} from "{found[0]}".fct_alerts {where} '
            "order by severity = 'critical' desc, opened_at_utc, rule, store_id, sensor_id"
        ).fetchall()
    finally:
        con.close()
    return [Alert(*row) for row in rows]
