"""The original endpoint: one integer for a store (or one sensor) at a local hour.

Decisions (docs/simulator.md, "The original endpoint"):
- the hour is the store's local wall-clock hour; a local hour that does not exist (the spring
  DST gap) is a 422; an ambiguous one (the autumn repeat) means its first occurrence;
- before the store's opening: -2; an hour of a sensor outage: -2 too (no reading exists);
- an hour that has not ended yet at the simulator's now: 404 (no reading exists yet);
- without sensor_id: the store's total, failed and silent sensors counting 0.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from simulator.fleet import Store
from simulator.model import NO_READING, ModelConfig, simulate


class LegacyError(Exception):
    """A request the original endpoint cannot answer; `status` is the HTTP status to send."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def local_hour_to_utc(store: Store, year: int, month: int, day: int, hour: int) -> datetime:
    """The UTC start of a local hour of the store; LegacyError(422) if it does not exist."""
    try:
        local = datetime(year, month, day, hour, tzinfo=store.tz, fold=0)
        utc = local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise LegacyError(
            422,
            f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00 is not a valid date and hour: {exc}",
        ) from None
    back = utc.astimezone(store.tz)
    if (back.year, back.month, back.day, back.hour) != (year, month, day, hour):
        raise LegacyError(
            422,
            f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00 does not exist in {store.timezone} "
            "(clocks jump forward at the start of summer time); ask for the next hour",
        )
    return utc


def legacy_value(
    store: Store,
    year: int,
    month: int,
    day: int,
    hour: int,
    sensor_id: int | None,
    config: ModelConfig,
    ended_before_hour: int,
) -> int:
    """The original endpoint's integer; `ended_before_hour` is the clock's first unended hour."""
    if sensor_id is not None and not 0 <= sensor_id < store.n_sensors:
        raise LegacyError(
            404,
            f"store {store.name!r} has sensors 0 to {store.n_sensors - 1}; "
            f"sensor_id={sensor_id} does not exist",
        )
    utc = local_hour_to_utc(store, year, month, day, hour)
    h = int(utc.timestamp()) // 3600
    if h < store.opening_hour_index:
        return NO_READING
    if h >= ended_before_hour:
        raise LegacyError(
            404, f"no reading yet: the hour starting {utc:%Y-%m-%dT%H:%M}Z has not ended"
        )
    sensors = np.arange(store.n_sensors) if sensor_id is None else np.array([sensor_id])
    grid = simulate(store, np.array([h], dtype=np.int64), sensors, config, truth=False)
    visits = grid.visits[0]
    if sensor_id is not None:
        return int(visits[0])
    return int(np.maximum(visits, 0).sum())
