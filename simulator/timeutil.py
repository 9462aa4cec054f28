"""Instants and hours: parsing ISO 8601, hour indices, store-local calendar parts (vectorised)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

HOUR_S = 3600


def parse_instant(text: str, what: str = "time") -> datetime:
    """An aware UTC datetime from ISO 8601 (`Z`, an offset, naive = UTC, or a bare date).

    Raises ValueError with a message naming `what` and the accepted forms.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        value = datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{what}={text!r} is not an ISO 8601 time; use e.g. 2024-01-01T00:00:00Z, "
            "2024-01-01T01:00:00+01:00 or 2024-01-01"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{what}={text!r} falls outside the years 1 to 9999 in UTC") from None


def as_utc(value: datetime | np.datetime64 | str) -> datetime:
    """Any accepted instant as an aware UTC datetime (naive datetimes are taken as UTC)."""
    if isinstance(value, str):
        return parse_instant(value)
    if isinstance(value, np.datetime64):
        seconds = int(value.astype("datetime64[s]").astype(np.int64))
        return datetime.fromtimestamp(seconds, tz=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def ceil_hour(value: datetime) -> int:
    """Index of the first hour starting at or after `value` (hours since 1970-01-01T00:00Z)."""
    return -(-int(value.timestamp()) // HOUR_S)


def floor_hour(value: datetime) -> int:
    """Index of the hour containing `value`."""
    return int(value.timestamp()) // HOUR_S


def hour_to_datetime(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR_S, tz=UTC)


def iso_z(value: datetime) -> str:
    """`2024-01-01T00:00:00Z`."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def local_seconds(timezone_name: str, hours: np.ndarray) -> np.ndarray:
    """Local wall-clock time of each hour start, as seconds since 1970-01-01 local."""
    utc = pd.DatetimeIndex((hours * HOUR_S).astype("datetime64[s]"), tz="UTC")
    local = utc.tz_convert(timezone_name).tz_localize(None)
    return local.values.astype("datetime64[s]").astype(np.int64)


def calendar(timezone_name: str, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local day as days since 1970-01-01, local hour 0..23, ISO weekday 1..7) of each hour."""
    local = local_seconds(timezone_name, hours)
    local_day = local // 86400
    local_hour = (local // HOUR_S) % 24
    isodow = (local_day + 3) % 7 + 1  # 1970-01-01 was a Thursday
    return local_day, local_hour, isodow
