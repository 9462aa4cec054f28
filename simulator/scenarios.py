"""On-demand incidents: a sensor outage or a traffic factor over a UTC window.

A scenario changes what the model generates for one store (or one of its sensors) over
`[start_utc, end_utc)`: `outage` silences the sensor(s) (the hours leave the feed, the truth
says `outage`), `traffic` multiplies the true traffic by `factor` (0.3 = a 70 % drop; the
readings stay `ok` in the truth: the visitors really did not come).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from simulator.timeutil import as_utc, ceil_hour

KINDS = ("outage", "traffic")


@dataclass(frozen=True)
class Scenario:
    """One incident; hours whose start lies in [start_utc, end_utc) are affected.

    Naive datetimes are taken as UTC.
    """

    kind: Literal["outage", "traffic"]
    store_id: str
    start_utc: datetime
    end_utc: datetime
    sensor_id: int | None = None
    factor: float = 1.0
    scenario_id: int = 0

    def hour_range(self) -> tuple[int, int]:
        """[first, last) hour indices (hours since 1970-01-01T00:00Z) the scenario covers."""
        return ceil_hour(as_utc(self.start_utc)), ceil_hour(as_utc(self.end_utc))
