"""A page of readings from the API: parsed, checked row by row (vectorised), split into
accepted rows and rejects with their reason.

A page that cannot be trusted as a whole (not JSON, truncated, columns of unequal length,
missing fields) raises TransientError so that it is fetched again; a page that is sound as a
whole keeps every row it holds, either accepted or rejected with a reason and its payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from loaders.errors import TransientError

HOUR_S = 3600
INT32_MAX = 2**31 - 1
# Byte positions in "2024-01-01T00:00:00Z" (20 characters; a 21st must not exist).
_DIGITS = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])
_LITERALS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":", 19: b"Z"}

REASON_TIME = "reading_start_utc is not a UTC time written like 2024-01-01T00:00:00Z"
REASON_SENSOR_TYPE = "sensor_id is not an integer"
REASON_VISITS_TYPE = "visits is not an integer"
REASON_NOT_HOUR = "reading_start_utc is not on an hour boundary"
REASON_OUTSIDE = "reading_start_utc is outside the requested window"
REASON_UNKNOWN_SENSOR = "sensor_id is not a sensor of this store"
REASON_VISITS_RANGE = "visits is out of range (below -1, the failure sentinel, or above 2^31-1)"
REASON_DUPLICATE = "duplicate of an earlier row of the page (same sensor and hour, same visits)"
REASON_CONFLICT = "duplicate of an earlier row of the page (same sensor and hour, other visits)"


@dataclass
class Page:
    """One page of the API's readings for a store, checked."""

    store_id: str
    window_start: datetime
    window_end: datetime
    sensor_id: np.ndarray  # int32, accepted rows
    reading_start_utc: np.ndarray  # datetime64[s], accepted rows
    visits: np.ndarray  # int32, accepted rows
    n_received: int
    next_cursor: str | None
    #: Hours before this instant are complete once the page is written (None: nothing new).
    done_until: datetime | None
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (reason, payload as JSON)

    @property
    def n_accepted(self) -> int:
        return int(self.sensor_id.shape[0])


def to_seconds(moment: datetime) -> int:
    """A naive UTC datetime as seconds since 1970-01-01T00:00:00."""
    return int(np.datetime64(moment, "s").astype(np.int64))


def from_seconds(seconds: int) -> datetime:
    """Seconds since 1970-01-01T00:00:00 as a naive UTC datetime."""
    return np.datetime64(int(seconds), "s").astype(datetime)


def int_column(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values, mask of the entries that are JSON integers within int64)."""
    n = len(values)
    if set(map(type, values)) <= {int}:
        try:
            return np.array(values, dtype=np.int64), np.ones(n, dtype=bool)
        except OverflowError:
            pass
    # Slow path, only for a page holding something else than integers (a fault).
    ok = np.fromiter(
        (type(v) is int and -(2**63) <= v < 2**63 for v in values), dtype=bool, count=n
    )
    out = np.fromiter((v if good else 0 for v, good in zip(values, ok, strict=True)), np.int64, n)
    return out, ok


def time_column(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(seconds since 1970 as int64, mask of the entries written exactly YYYY-MM-DDTHH:MM:SSZ).

    Strict: a real calendar date, a Z, nothing before or after; parsed without a loop.
    """
    n = len(values)
    raw: np.ndarray | None = None
    if set(map(type, values)) <= {str}:
        try:
            raw = np.array(values, dtype="S21")
        except UnicodeEncodeError:
            raw = None
    if raw is None:  # a fault: non-strings or non-ASCII text somewhere on the page
        cleaned = [v if type(v) is str and v.isascii() else "" for v in values]
        raw = np.array(cleaned, dtype="S21")
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    raw = raw.reshape(n)
    # Rows come hour by hour, every sensor of an hour with the same text: parse each run once.
    starts = np.flatnonzero(np.concatenate(([True], raw[1:] != raw[:-1])))
    seconds, ok = _parse_fixed(raw[starts])
    lengths = np.diff(np.append(starts, n))
    return np.repeat(seconds, lengths), np.repeat(ok, lengths)


def _parse_fixed(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse an S21 array of YYYY-MM-DDTHH:MM:SSZ texts: (seconds, mask of the valid ones)."""
    n = raw.shape[0]
    m = raw.view(np.uint8).reshape(n, 21)
    ok = m[:, 20] == 0
    for pos, char in _LITERALS.items():
        ok &= m[:, pos] == char[0]
    digits = m[:, _DIGITS].astype(np.int64) - ord("0")
    ok &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    digits = np.where(ok[:, None], digits, 0)
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 4] * 10 + digits[:, 5]
    day = digits[:, 6] * 10 + digits[:, 7]
    hour = digits[:, 8] * 10 + digits[:, 9]
    minute = digits[:, 10] * 10 + digits[:, 11]
    second = digits[:, 12] * 10 + digits[:, 13]
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    year = np.where(ok, year, 1970)
    month = np.where(ok, month, 1)
    month_index = (year - 1970) * 12 + (month - 1)
    first_day = month_index.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_first = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= day <= next_first - first_day
    seconds = (first_day + day - 1) * 86400 + hour * HOUR_S + minute * 60 + second
    return np.where(ok, seconds, 0), ok


def _strict_instant(value: Any, what: str) -> int:
    """Seconds of one envelope timestamp; TransientError if it is not a strict UTC time."""
    seconds, ok = time_column([value])
    if not ok[0]:
        raise TransientError(f"the page's {what} is {value!r}, not a UTC time (broken body?)")
    return int(seconds[0])


def _payload(times: list[Any], sensors: list[Any], visits: list[Any], i: int) -> str:
    row = {"reading_start_utc": times[i], "sensor_id": sensors[i], "visits": visits[i]}
    return json.dumps(row, default=repr)


def parse_page(
    body: bytes,
    store_id: str,
    sensor_ids: np.ndarray,
    window_start: datetime,
    window_end: datetime,
) -> Page:
    """Check a readings page of `store_id` asked for [window_start, window_end)."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise TransientError(
            f"the body is not valid JSON, truncated or malformed ({exc})"
        ) from None
    if not isinstance(doc, dict):
        raise TransientError("the body is not a JSON object")
    readings = doc.get("readings")
    next_cursor = doc.get("next_cursor")
    if not isinstance(readings, dict) or not (next_cursor is None or isinstance(next_cursor, str)):
        raise TransientError("the body has no 'readings' object or a bad 'next_cursor'")
    if doc.get("store_id") != store_id:
        raise TransientError(f"the page is for store {doc.get('store_id')!r}, not {store_id!r}")
    times, sensors, visits = (readings.get(k) for k in ("reading_start_utc", "sensor_id", "visits"))
    if not (isinstance(times, list) and isinstance(sensors, list) and isinstance(visits, list)):
        raise TransientError("the page lacks one of the reading_start_utc, sensor_id, visits lists")
    n = len(times)
    if len(sensors) != n or len(visits) != n or doc.get("n_readings", n) != n:
        raise TransientError(
            f"the page's columns disagree in length ({n}, {len(sensors)}, {len(visits)}, "
            f"n_readings={doc.get('n_readings')!r}); truncated or malformed"
        )
    start_s, end_s = to_seconds(window_start), to_seconds(window_end)
    if next_cursor is None:
        answered_end = _strict_instant(doc.get("end_utc"), "end_utc")
        last_end = min(end_s, answered_end)
    else:
        last_end = None

    ts, ts_ok = time_column(times)
    sid, sid_ok = int_column(sensors)
    vis, vis_ok = int_column(visits)
    base_ok = ts_ok & sid_ok & vis_ok
    on_hour = ts % HOUR_S == 0
    inside = (ts >= start_s) & (ts < end_s)
    known = np.isin(sid, sensor_ids)
    in_range = (vis >= -1) & (vis <= INT32_MAX)
    good = base_ok & on_hour & inside & known & in_range

    # Duplicates among the otherwise good rows: the first of each (sensor, hour) is kept.
    dup = np.zeros(n, dtype=bool)
    conflict = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(good)
    if idx.size:
        key = (ts[idx] // HOUR_S) * (int(sensor_ids.max(initial=0)) + 1) + sid[idx]
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        repeat = np.zeros(idx.size, dtype=bool)
        repeat[1:] = sorted_key[1:] == sorted_key[:-1]
        if repeat.any():
            first_pos = np.maximum.accumulate(np.where(repeat, 0, np.arange(idx.size)))
            first_visits = vis[idx[order[first_pos]]]
            rows = idx[order[repeat]]
            same = vis[rows] == first_visits[repeat]
            dup[rows[same]] = True
            conflict[rows[~same]] = True
            good[rows] = False

    rejects: list[tuple[str, str]] = []
    bad = np.flatnonzero(~good)
    if bad.size:
        reasons = np.select(
            [~ts_ok, ~sid_ok, ~vis_ok, ~on_hour, ~inside, ~known, ~in_range, dup, conflict],
            [
                REASON_TIME,
                REASON_SENSOR_TYPE,
                REASON_VISITS_TYPE,
                REASON_NOT_HOUR,
                REASON_OUTSIDE,
                REASON_UNKNOWN_SENSOR,
                REASON_VISITS_RANGE,
                REASON_DUPLICATE,
                REASON_CONFLICT,
            ],
            default="rejected",
        )
        rejects = [(str(reasons[i]), _payload(times, sensors, visits, int(i))) for i in bad]

    accepted_ts = ts[good]
    if last_end is not None:
        done_until = from_seconds(last_end)
    elif accepted_ts.size:
        done_until = from_seconds(int(accepted_ts.max()) + HOUR_S)
    else:
        done_until = None
    return Page(
        store_id=store_id,
        window_start=window_start,
        window_end=window_end,
        sensor_id=sid[good].astype(np.int32),
        reading_start_utc=accepted_ts.astype("datetime64[s]"),
        visits=vis[good].astype(np.int32),
        n_received=n,
        next_cursor=next_cursor,
        done_until=done_until,
        rejects=rejects,
    )
