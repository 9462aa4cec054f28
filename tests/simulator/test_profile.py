"""The realistic profile: each component acts and switches off; values stay cleanable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.fleet import default_fleet
from simulator.model import ModelConfig, generate
from simulator.profile import COMPONENTS, Profile

WINDOW = ("2023-01-01", "2024-01-01")


def _gen(profile: Profile, store: str = "berlin", truth: bool = True) -> dict[str, np.ndarray]:
    return generate(store, *WINDOW, config=ModelConfig(profile=profile), truth=truth)


def test_realistic_with_every_component_off_is_flat() -> None:
    off = _gen(Profile.preset("realistic").without(*COMPONENTS))
    flat = _gen(Profile.preset("flat"))
    for name in flat:
        assert np.array_equal(off[name], flat[name]), name


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_switches_off(component: str) -> None:
    full = _gen(Profile.preset("realistic"), truth=False)
    without = _gen(Profile.preset("realistic").without(component), truth=False)
    if component == "outages":
        assert len(without["visits"]) > len(full["visits"])
    else:
        assert len(without["visits"]) == len(full["visits"])
        assert not np.array_equal(without["visits"], full["visits"])


def test_unknown_component_or_preset_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="weekday, intraday"):
        Profile.preset("realistic").without("weekdays")
    with pytest.raises(ValueError, match="realistic, flat"):
        Profile.preset("busy")


def _local_frame(d: dict[str, np.ndarray], tz: str) -> pd.DataFrame:
    df = pd.DataFrame({k: d[k] for k in ("sensor_id", "visits", "status")})
    local = pd.DatetimeIndex(d["reading_start_utc"], tz="UTC").tz_convert(tz).tz_localize(None)
    df["hour_utc"] = d["reading_start_utc"].astype("datetime64[h]").astype(np.int64)
    df["local"] = local
    df["isodow"] = local.day_of_week + 1
    df["hour"] = local.hour
    df["date"] = local.normalize()
    return df


@pytest.fixture(scope="module")
def paris_frame() -> pd.DataFrame:
    d = generate("paris", "2022-06-01", "2024-01-01", truth=True)
    return _local_frame(d, "Europe/Paris")


def test_ordinary_readings_stay_within_cleaning_bounds(paris_frame: pd.DataFrame) -> None:
    """An ok open-hour reading is almost never below 50 % or above 300 % of the median of
    the same sensor, weekday and hour over the previous 4 weeks (the cleaning rule of dbt),
    and an anomalous one almost always is."""
    df = paris_frame[paris_frame["status"].isin(["ok", "anomalous"])].copy()
    df = df.sort_values(["sensor_id", "isodow", "hour", "date"])
    ok_visits = df["visits"].where(df["status"] == "ok")
    # Previous 28 days of the same sensor/weekday/hour = the 4 previous rows of the group
    # (an absent week makes the window shorter, never longer).
    prev = ok_visits.groupby([df["sensor_id"], df["isodow"], df["hour"]]).transform(
        lambda s: s.shift(1).rolling(4, min_periods=2).median()
    )
    gap = df["date"] - df.groupby(["sensor_id", "isodow", "hour"])["date"].shift(4)
    usable = prev.notna() & (gap.isna() | (gap <= pd.Timedelta(days=35)))
    ratio = df["visits"] / prev
    ok = usable & (df["status"] == "ok")
    anomalous = usable & (df["status"] == "anomalous")
    flagged = (ratio < 0.5) | (ratio > 3.0)
    outside = flagged[ok].mean()
    assert ok.sum() > 50_000
    assert outside < 0.001, f"{outside:.4%} of ok readings would be flagged"
    assert flagged[anomalous].mean() > 0.99  # recall of the rule
    precision = (flagged & anomalous).sum() / (flagged & usable).sum()
    assert precision > 0.99, precision


def test_weekday_and_intraday_shapes(paris_frame: pd.DataFrame) -> None:
    ok = paris_frame[paris_frame["status"] == "ok"]
    by_day = ok.groupby("isodow")["visits"].mean()
    p = Profile()
    assert set(by_day.index) == {1, 2, 3, 4, 5, 6}  # closed on Sundays
    ratio = by_day[6] / by_day[1]
    assert ratio == pytest.approx(p.weekday_factors[5] / p.weekday_factors[0], rel=0.03)
    by_hour = ok.groupby("hour")["visits"].mean()
    assert list(by_hour.index) == list(range(8, 18))
    assert by_hour[13] / by_hour[8] == pytest.approx(
        p.intraday_factors[13] / p.intraday_factors[8], rel=0.03
    )
    # The store's mean stays the level of the design (weekday and intraday average to 1;
    # the doors, season and trend shift it a little).
    assert ok["visits"].mean() == pytest.approx(7000, rel=0.15)


def test_outages_are_runs_and_a_small_share(paris_frame: pd.DataFrame) -> None:
    silent = paris_frame["status"] == "outage"
    share = silent.mean()
    assert 0.0005 < share < 0.01, share
    runs = []
    for _, g in paris_frame[silent].groupby("sensor_id"):
        h = g["hour_utc"].to_numpy()
        runs.extend(np.diff(np.flatnonzero(np.diff(np.r_[-10, h, 10**12]) != 1)))
    assert np.mean(runs) > 3, "outages last several hours on average"
    assert max(runs) <= Profile().outage_max_hours


def test_trend_and_seasonality_factors() -> None:
    p = Profile().without("weekday", "intraday", "seasonality")
    days = np.array([np.datetime64("2024-01-01"), np.datetime64("2026-01-01")])
    day_idx = days.astype(np.int64)
    f = p.hour_factor(np.array([1, 4]), np.array([10, 10]), day_idx, growth=0.05)
    assert f[0] == pytest.approx(1.0)
    assert f[1] == pytest.approx(1.05 ** ((day_idx[1] - day_idx[0]) / 365.25))
    s = Profile().without("weekday", "intraday", "trend")
    dec, jun = np.datetime64("2024-12-18"), np.datetime64("2024-06-18")
    f = s.hour_factor(
        np.array([3, 2]), np.array([10, 10]), np.array([dec, jun]).astype(np.int64), 0.0
    )
    assert f[0] > 1.15 > 1.0 > f[1] > 0.9
    # Smooth: no 4-week change above 15 % anywhere in the year.
    year = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-01-01")).astype(np.int64)
    daily = s.hour_factor(np.ones_like(year), np.full_like(year, 10), year, 0.0)
    assert np.max(np.abs(daily[28:] / daily[:-28] - 1)) < 0.15


def test_every_store_has_a_distinct_trend() -> None:
    growth = [s.growth_per_year for s in default_fleet()]
    assert len(set(growth)) == len(growth)
