"""What the marts must satisfy, recomputed independently of the dbt models (pandas, zoneinfo).

The contract of the marts (docs/contracts.md section 3) and the definitions of DESIGN.md
section 3, as data: the key and columns of every mart, and functions that recompute local
time and the weekday-trend measures from a fact table's own rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

STATUSES = ("ok", "failed", "anomalous", "closed", "missing")
STATUS_COUNTS = {f"n_{status}_hours": status for status in STATUSES}
TREND = [
    "visits_clean_ma_4w",
    "n_ma_4w_points",
    "visits_clean_wow_pct",
    "ma_4w_wow_pct",
    "deviation_from_ma_4w_pct",
]
COUNTS = list(STATUS_COUNTS)

KEYS: dict[str, list[str]] = {
    "dim_stores": ["store_id"],
    "dim_sensors": ["store_id", "sensor_id"],
    "fct_sensor_traffic_hourly": ["store_id", "sensor_id", "hour_start_utc"],
    "fct_sensor_traffic_daily": ["store_id", "sensor_id", "local_date"],
    "fct_store_traffic_hourly": ["store_id", "hour_start_utc"],
    "fct_store_traffic_daily": ["store_id", "local_date"],
}
_HOURLY = ["hour_start_local", "local_date", "local_hour", "isodow", "is_open_hour"]
_QUALITY = ["visits_raw", "visits_clean", "data_quality_pct"]
COLUMNS: dict[str, list[str]] = {
    "dim_stores": [
        "store_id",
        "store_name",
        "city",
        "country",
        "timezone",
        "opened_on",
        "n_sensors",
        "open_hour_local",
        "close_hour_local",
    ],
    "dim_sensors": [
        "store_id",
        "sensor_id",
        "sensor_name",
        "first_reading_utc",
        "last_reading_utc",
    ],
    "fct_sensor_traffic_hourly": [
        *KEYS["fct_sensor_traffic_hourly"],
        *_HOURLY,
        "status",
        "visits_expected",
        *COUNTS,
        *_QUALITY,
        *TREND,
    ],
    "fct_sensor_traffic_daily": [
        *KEYS["fct_sensor_traffic_daily"],
        "isodow",
        "n_hours",
        "n_open_hours",
        *COUNTS,
        *_QUALITY,
        *TREND,
    ],
    "fct_store_traffic_hourly": [
        *KEYS["fct_store_traffic_hourly"],
        *_HOURLY,
        "n_sensors",
        *COUNTS,
        *_QUALITY,
        *TREND,
    ],
    "fct_store_traffic_daily": [
        *KEYS["fct_store_traffic_daily"],
        "isodow",
        "n_hours",
        "n_open_hours",
        *COUNTS,
        *_QUALITY,
        *TREND,
    ],
}


def mismatches(
    frame: pd.DataFrame,
    actual: str,
    expected: str,
    keys: Sequence[str],
    *,
    rtol: float = 1e-9,
    atol: float = 1e-9,
    limit: int = 8,
) -> str:
    """'' when frame[actual] equals frame[expected] (nulls equal, floats close), else a report."""
    a = pd.to_numeric(frame[actual], errors="coerce").astype("float64").to_numpy()
    e = pd.to_numeric(frame[expected], errors="coerce").astype("float64").to_numpy()
    both_null = np.isnan(a) & np.isnan(e)
    close = np.isclose(a, e, rtol=rtol, atol=atol)
    bad = ~(both_null | close)
    if not bad.any():
        return ""
    shown = frame.loc[bad, [*keys, actual, expected]].head(limit)
    return (
        f"{int(bad.sum())} of {len(frame)} rows differ ({actual} vs {expected}):\n"
        f"{shown.to_string(index=False)}"
    )


def local_time(utc: pd.Series, timezone: str) -> pd.DataFrame:
    """hour_start_local, local_date, local_hour and isodow of UTC hour starts in a time zone."""
    local = pd.to_datetime(utc).dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    return pd.DataFrame(
        {
            "hour_start_local": local,
            "local_date": local.dt.normalize(),
            "local_hour": local.dt.hour,
            "isodow": local.dt.day_of_week + 1,
        },
        index=utc.index,
    )


def _pct_change(new: pd.Series, base: pd.Series) -> pd.Series:
    """100 * (new - base) / base, null where base is 0 or null (DESIGN.md section 3)."""
    base = base.astype("float64")
    safe = base.where(base != 0)
    return 100.0 * (new.astype("float64") - safe) / safe


def recompute_trend(
    frame: pd.DataFrame, keys: Sequence[str], value: str = "visits_clean"
) -> pd.DataFrame:
    """The weekday-trend measures of each row, from the rows of the same keys 7, 14, 21 days back.

    `keys` are the columns that must match (store, sensor, local hour); rows are matched by
    `local_date` minus 7 k days, by date, not by row: an absent day is left out and counted.
    Returns frame's keys and local_date with the five measures, prefixed `expected_`.
    """
    keys = list(keys)
    base = frame[[*keys, "local_date", value]].copy()
    base["local_date"] = pd.to_datetime(base["local_date"])
    base[value] = base[value].astype("float64")
    out = base.rename(columns={value: "v0"})
    for k in (1, 2, 3):
        lagged = base.assign(local_date=base["local_date"] + pd.Timedelta(days=7 * k))
        out = out.merge(
            lagged.rename(columns={value: f"v{k}"}), on=[*keys, "local_date"], how="left"
        )
    points = out[["v0", "v1", "v2", "v3"]]
    out["expected_visits_clean_ma_4w"] = points.mean(axis=1, skipna=True)
    out["expected_n_ma_4w_points"] = points.notna().sum(axis=1).astype("float64")
    out["expected_visits_clean_wow_pct"] = _pct_change(out["v0"], out["v1"])
    previous_ma = out[[*keys, "local_date", "expected_visits_clean_ma_4w"]].rename(
        columns={"expected_visits_clean_ma_4w": "previous_ma"}
    )
    previous_ma = previous_ma.assign(local_date=previous_ma["local_date"] + pd.Timedelta(days=7))
    out = out.merge(previous_ma, on=[*keys, "local_date"], how="left")
    out["expected_ma_4w_wow_pct"] = _pct_change(
        out["expected_visits_clean_ma_4w"], out["previous_ma"]
    )
    out["expected_deviation_from_ma_4w_pct"] = _pct_change(
        out["v0"], out["expected_visits_clean_ma_4w"]
    )
    return out[[*keys, "local_date", *(f"expected_{m}" for m in TREND)]]
