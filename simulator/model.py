"""The reading model of DESIGN.md section 1, vectorised over (hour, sensor).

For each sensor and each hour (in the store's local time) since the store opened:
- with probability p_failure the reading failed: -1 (at any hour, open or not);
- otherwise, outside the opening hours or on a closed weekday: 0;
- otherwise the draw x ~ Normal(mean, std) (times the profile's factors), reported as
  int(max(x, 0)); with probability p_anomaly it is anomalous: int(max(x, 0)) // 10
  (10 % of the draw, truncated).
Each (seed, store, sensor, hour) has its own random stream (`simulator.rng`), so a slice
generated alone equals the same slice inside any larger window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from simulator import rng
from simulator.fleet import Store, default_fleet
from simulator.profile import Profile
from simulator.scenarios import Scenario
from simulator.timeutil import as_utc, calendar, ceil_hour

#: Truth status codes and their names (index = code).
STATUSES = ("ok", "failed", "anomalous", "closed", "outage")
OK, FAILED, ANOMALOUS, CLOSED, OUTAGE = range(len(STATUSES))
#: `visits` of an hour without a reading (an outage) in the truth and the original endpoint.
NO_READING = -2
FAILED_READING = -1
#: An anomalous reading is 10 % of the draw: int(max(x, 0)) // ANOMALY_DIVISOR.
ANOMALY_DIVISOR = 10

# Independent uses of the random streams (the `salt` of rng.stream_key).
_SALT_READINGS, _SALT_OUTAGES, _SALT_DOORS = 0, 1, 2


@dataclass(frozen=True)
class ModelConfig:
    """What the model needs beyond the store: the seed, the profile, the on-demand incidents."""

    seed: int = 2024
    profile: Profile = field(default_factory=Profile)
    scenarios: tuple[Scenario, ...] = ()


def _store(store: Store | str) -> Store:
    if isinstance(store, Store):
        return store
    for s in default_fleet():
        if s.store_id == store:
            return s
    ids = ", ".join(s.store_id for s in default_fleet())
    raise KeyError(f"unknown store {store!r}; the default fleet has {ids} (or pass a Store)")


def generate(
    store: Store | str,
    start_utc: datetime | np.datetime64 | str,
    end_utc: datetime | np.datetime64 | str,
    *,
    config: ModelConfig | None = None,
    sensor_id: int | None = None,
    truth: bool = False,
) -> dict[str, np.ndarray]:
    """The readings of `store` for the hours starting in [start_utc, end_utc), columnar.

    Columns `reading_start_utc` (datetime64[s]), `sensor_id`, `visits` (int64), ordered by
    (hour, sensor); hours before the opening and outage hours are absent. With `truth=True`
    outage hours are included (visits -2) and two columns are added: `status` (names in
    STATUSES) and `visits_true` (the value before the anomaly, or the draw a failure or an
    outage hid; 0 when closed). The clock is not applied: ask only for hours that have ended.
    """
    store = _store(store)
    config = config or ModelConfig()
    first = max(ceil_hour(as_utc(start_utc)), store.opening_hour_index)
    last = ceil_hour(as_utc(end_utc))
    if sensor_id is None:
        sensors = np.arange(store.n_sensors, dtype=np.int64)
    elif 0 <= sensor_id < store.n_sensors:
        sensors = np.array([sensor_id], dtype=np.int64)
    else:
        raise KeyError(
            f"store {store.store_id!r} has sensors 0 to {store.n_sensors - 1}, not {sensor_id}"
        )
    hours = np.arange(first, max(first, last), dtype=np.int64)
    return simulate(store, hours, sensors, config, truth=truth).columns(truth=truth)


@dataclass
class Grid:
    """The model's output over hours x sensors (arrays of shape (n_hours, n_sensors)).

    `status` and `visits_true` are None unless the grid was simulated with truth=True;
    `silent` marks outage hours (None when there is none).
    """

    hours: np.ndarray
    sensors: np.ndarray
    visits: np.ndarray
    status: np.ndarray | None
    visits_true: np.ndarray | None
    silent: np.ndarray | None

    def columns(self, truth: bool = False) -> dict[str, np.ndarray]:
        """Flatten to the API's columns, ordered by (hour, sensor)."""
        n_h, n_s = len(self.hours), len(self.sensors)
        starts = np.repeat((self.hours * 3600).astype("datetime64[s]"), n_s)
        sensor_col = np.tile(self.sensors, n_h)
        visits = self.visits.ravel()
        if truth:
            if self.status is None or self.visits_true is None:
                raise ValueError("this grid was simulated without truth=True")
            return {
                "reading_start_utc": starts,
                "sensor_id": sensor_col,
                "visits": visits,
                "status": np.asarray(STATUSES)[self.status.ravel()],
                "visits_true": self.visits_true.ravel(),
            }
        if self.silent is None:
            return {"reading_start_utc": starts, "sensor_id": sensor_col, "visits": visits}
        keep = ~self.silent.ravel()
        return {
            "reading_start_utc": starts[keep],
            "sensor_id": sensor_col[keep],
            "visits": visits[keep],
        }


def _threshold(p: float) -> np.uint64:
    """u < p for u = k / 2**32 exactly when k < ceil(p * 2**32): compare the bits directly."""
    return np.uint64(min(math.ceil(p * 2**32), 2**32))


def simulate(
    store: Store,
    hours: np.ndarray,
    sensors: np.ndarray,
    config: ModelConfig,
    truth: bool = True,
) -> Grid:
    """The model over consecutive `hours` (hour indices, all at or after the opening)."""
    n_h, n_s = len(hours), len(sensors)
    profile = config.profile
    visits = np.zeros((n_h, n_s), dtype=np.int64)
    status = np.full((n_h, n_s), CLOSED, dtype=np.int8) if truth else None
    visits_true = np.zeros((n_h, n_s), dtype=np.int64) if truth else None
    if n_h == 0:
        return Grid(hours, sensors, visits, status, visits_true, None)

    local_day, local_hour, isodow = calendar(store.timezone, hours)
    is_open = (local_hour >= store.open_hour_local) & (local_hour < store.close_hour_local)
    for closed_day in store.closed_isodow:  # a day or two: cheaper than np.isin on few hours
        is_open &= isodow != closed_day
    keys = rng.sensor_keys(config.seed, store.key, sensors, _SALT_READINGS)

    # Draw 0: its high 32 bits decide the failure (every hour), its low 32 bits the anomaly.
    z0 = rng.bits(keys, hours, 0)
    failed = (z0 >> np.uint64(32)) < _threshold(store.p_failure)

    # Draw 1: the normal draw, for open hours only.
    open_rows = np.flatnonzero(is_open)
    if len(open_rows):
        x = rng.normals(rng.bits(keys, hours[open_rows], 1))
        if profile.tails:
            np.clip(x, -profile.tail_clip_sigma, profile.tail_clip_sigma, out=x)
        x *= store.std_visits
        x += store.mean_visits
        factor = profile.hour_factor(
            isodow[open_rows], local_hour[open_rows], local_day[open_rows], store.growth_per_year
        )
        if factor is not None:
            x *= factor[:, None]
        if profile.doors:
            x *= door_factors(config.seed, store, sensors, profile)[None, :]
        traffic = _traffic_factors(config.scenarios, store, hours[open_rows], sensors)
        if traffic is not None:
            x *= traffic
        np.maximum(x, 0.0, out=x)
        true_open = x.astype(np.int64)
        anomalous = (z0[open_rows] & np.uint64(0xFFFFFFFF)) < _threshold(store.p_anomaly)
        shown = true_open.copy() if truth else true_open
        shown[anomalous] //= ANOMALY_DIVISOR
        visits[open_rows] = shown
        if truth:
            status[open_rows] = np.where(anomalous, ANOMALOUS, OK)
            visits_true[open_rows] = true_open
    visits[failed] = FAILED_READING
    if truth:
        status[failed] = FAILED

    silent = _outages(config, store, hours, sensors)
    if silent is not None:
        visits[silent] = NO_READING
        if truth:
            status[silent] = OUTAGE
    return Grid(hours, sensors, visits, status, visits_true, silent)


def door_factors(seed: int, store: Store, sensors: np.ndarray, profile: Profile) -> np.ndarray:
    """Each sensor's fixed traffic factor (log-normal, median 1) of the `doors` component."""
    keys = rng.sensor_keys(seed, store.key, sensors, _SALT_DOORS)
    z = rng.normals(rng.bits(keys, np.zeros(1, dtype=np.int64), 0))[0]
    return np.exp(profile.door_sigma * z)


def _intervals_mask(
    n_h: int, n_s: int, cols: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Boolean (n_h, n_s): True where row r of column cols[i] lies in [first[i], last[i]).

    One slice assignment per interval: outages are few (hundreds over a decade), readings many.
    """
    first = np.clip(first, 0, n_h)
    last = np.clip(last, 0, n_h)
    mask = np.zeros((n_h, n_s), dtype=bool)
    for c, a, b in zip(cols.tolist(), first.tolist(), last.tolist(), strict=True):
        if a < b:
            mask[a:b, c] = True
    return mask


def _outages(
    config: ModelConfig, store: Store, hours: np.ndarray, sensors: np.ndarray
) -> np.ndarray | None:
    """Boolean (hour, sensor) mask of outage hours (profile outages and outage scenarios)."""
    n_h, n_s = len(hours), len(sensors)
    h0 = int(hours[0])
    mask: np.ndarray | None = None
    profile = config.profile
    if profile.outages and profile.outage_p_per_day > 0:
        # An outage starts in UTC day b at hour b*24 + offset and lasts `length` hours; the
        # days that can reach into the window are those from (h0 - max length) / 24 on.
        days = np.arange(
            (h0 - profile.outage_max_hours) // 24, int(hours[-1]) // 24 + 1, dtype=np.int64
        )
        keys = rng.sensor_keys(config.seed, store.key, sensors, _SALT_OUTAGES)
        u_start, u_offset = rng.split_uniforms(rng.bits(keys, days, 0))
        d_idx, s_idx = np.nonzero(u_start < profile.outage_p_per_day)
        if len(d_idx):
            z = rng.normals(rng.bits(keys, days, 1))[d_idx, s_idx]
            length = np.exp(np.log(profile.outage_median_hours) + profile.outage_sigma * z)
            length = np.clip(np.rint(length), 1, profile.outage_max_hours).astype(np.int64)
            first = days[d_idx] * 24 + (u_offset[d_idx, s_idx] * 24).astype(np.int64)
            mask = _intervals_mask(n_h, n_s, s_idx, first - h0, first + length - h0)
    chosen = [
        sc for sc in config.scenarios if sc.kind == "outage" and sc.store_id == store.store_id
    ]
    for sc in chosen:
        cols = _scenario_columns(sc, sensors)
        if len(cols):
            a, b = sc.hour_range()
            m = _intervals_mask(
                n_h, n_s, cols, np.full(len(cols), a - h0), np.full(len(cols), b - h0)
            )
            mask = m if mask is None else mask | m
    if mask is not None and not mask.any():
        return None
    return mask


def _scenario_columns(sc: Scenario, sensors: np.ndarray) -> np.ndarray:
    if sc.sensor_id is None:
        return np.arange(len(sensors))
    return np.flatnonzero(sensors == sc.sensor_id)


def _traffic_factors(
    scenarios: tuple[Scenario, ...], store: Store, hours: np.ndarray, sensors: np.ndarray
) -> np.ndarray | None:
    """(hour, sensor) multipliers of the `traffic` scenarios, None when there is none."""
    factors: np.ndarray | None = None
    for sc in scenarios:
        if sc.kind != "traffic" or sc.store_id != store.store_id:
            continue
        a, b = sc.hour_range()
        rows = (hours >= a) & (hours < b)
        cols = _scenario_columns(sc, sensors)
        if not rows.any() or not len(cols):
            continue
        if factors is None:
            factors = np.ones((len(hours), len(sensors)))
        factors[np.ix_(rows, cols)] *= sc.factor
    return factors
