"""The marts of the shared small warehouse (real chain) against their contract and definitions.

Everything is recomputed here from the facts' own rows or from first principles (zoneinfo,
the opening hours in dim_stores), never taken from the models: keys, the four resolutions,
local time and DST days, store = sum of its sensors, day = sum of its hours, the cleaning
rule, the data-quality share and the weekday-trend measures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.chain import Chain
from tests.dbt.marts_checks import (
    COLUMNS,
    COUNTS,
    KEYS,
    STATUS_COUNTS,
    STATUSES,
    TREND,
    local_time,
    mismatches,
    recompute_trend,
)

SENSOR_KEYS = ["store_id", "sensor_id"]
HOURLY = ["fct_sensor_traffic_hourly", "fct_store_traffic_hourly"]
DAILY = ["fct_sensor_traffic_daily", "fct_store_traffic_daily"]
FACTS = [*HOURLY, *DAILY]


@pytest.fixture(scope="module")
def marts(small_warehouse: Chain) -> dict[str, pd.DataFrame]:
    """Every mart of the contract as a DataFrame (local_date as a timestamp at midnight)."""
    frames = {}
    with small_warehouse.connect() as con:
        present = {name for (name,) in con.sql("show tables").fetchall()}
        missing = sorted(set(KEYS) - present)
        assert not missing, f"marts missing from the warehouse: {missing}"
        for name in KEYS:
            frame = con.sql(f"select * from {name}").df()
            if "local_date" in frame:
                frame["local_date"] = pd.to_datetime(frame["local_date"])
            frames[name] = frame
    return frames


@pytest.fixture(scope="module")
def stores(marts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return marts["dim_stores"].set_index("store_id")


def test_every_mart_has_the_contract_columns(marts: dict[str, pd.DataFrame]) -> None:
    for name, columns in COLUMNS.items():
        missing = [c for c in columns if c not in marts[name].columns]
        assert not missing, f"{name} lacks the contract's columns {missing}"


@pytest.mark.parametrize("name", list(KEYS))
def test_keys_are_unique_and_not_null(marts: dict[str, pd.DataFrame], name: str) -> None:
    frame, keys = marts[name], KEYS[name]
    assert len(frame) > 0, f"{name} is empty"
    assert not frame[keys].isna().any().any(), f"{name} has null key columns {keys}"
    duplicated = frame[frame.duplicated(keys, keep=False)]
    assert duplicated.empty, f"{name}: {len(duplicated)} rows share a key {keys}:\n{duplicated}"


def test_the_four_resolutions_cover_every_store_sensor_and_day(
    small_warehouse: Chain, marts: dict[str, pd.DataFrame], stores: pd.DataFrame
) -> None:
    for store_id in small_warehouse.stores:
        n_sensors = int(stores.loc[store_id, "n_sensors"])
        tz = ZoneInfo(stores.loc[store_id, "timezone"])
        first_day = small_warehouse.start
        last_day = (small_warehouse.now - timedelta(hours=1)).astimezone(tz).date()
        days = pd.date_range(first_day, last_day, freq="D")
        for name in FACTS:
            frame = marts[name][marts[name]["store_id"] == store_id]
            per_sensor = "sensor_id" in frame
            if per_sensor:
                assert sorted(frame["sensor_id"].unique()) == list(range(n_sensors)), name
            group = frame.groupby("sensor_id") if per_sensor else [(None, frame)]
            for sensor_id, rows in group:
                got = sorted(rows["local_date"].dt.strftime("%Y-%m-%d").unique())
                want = list(days.strftime("%Y-%m-%d"))
                assert got == want, (
                    f"{name} {store_id} sensor {sensor_id}: local days {got[0]}..{got[-1]} "
                    f"({len(got)}), expected every day {first_day}..{last_day} ({len(want)})"
                )


@pytest.mark.parametrize("name", HOURLY)
def test_hourly_facts_hold_every_hour_of_the_window(
    small_warehouse: Chain, marts: dict[str, pd.DataFrame], stores: pd.DataFrame, name: str
) -> None:
    """One row per hour from local midnight of the first day to the last hour before now."""
    frame = marts[name]
    last_hour = (small_warehouse.now - timedelta(hours=1)).replace(tzinfo=None)
    for store_id in small_warehouse.stores:
        tz = ZoneInfo(stores.loc[store_id, "timezone"])
        first_hour = (
            datetime.combine(small_warehouse.start, datetime.min.time(), tz)
            .astimezone(ZoneInfo("UTC"))
            .replace(tzinfo=None)
        )
        expected = pd.date_range(first_hour, last_hour, freq="h")
        rows = frame[frame["store_id"] == store_id]
        group = rows.groupby("sensor_id") if "sensor_id" in rows else [(None, rows)]
        for sensor_id, hours in group:
            got = sorted(pd.to_datetime(hours["hour_start_utc"]).dt.strftime("%Y-%m-%d %H:%M"))
            want = list(expected.strftime("%Y-%m-%d %H:%M"))
            assert got == want, (
                f"{name} {store_id} sensor {sensor_id}: {len(got)} hours "
                f"{got[0]}..{got[-1]}, expected {len(want)} {first_hour}..{last_hour}"
            )


@pytest.mark.parametrize("name", HOURLY)
def test_local_time_columns_follow_the_store_time_zone(
    marts: dict[str, pd.DataFrame], stores: pd.DataFrame, name: str
) -> None:
    frame = marts[name]
    for store_id, rows in frame.groupby("store_id"):
        store = stores.loc[store_id]
        expected = local_time(rows["hour_start_utc"], store["timezone"])
        for column in ["hour_start_local", "local_date", "local_hour", "isodow"]:
            got = rows[column]
            if column in {"hour_start_local", "local_date"}:
                got = pd.to_datetime(got)
            want = expected[column]
            bad = got.astype(want.dtype) != want
            assert not bad.any(), (
                f"{name} {store_id}: {int(bad.sum())} rows with a wrong {column}, e.g.\n"
                f"{rows.loc[bad, ['hour_start_utc', column]].head()}\nexpected\n{want[bad].head()}"
            )
        open_hour = (
            (expected["local_hour"] >= int(store["open_hour_local"]))
            & (expected["local_hour"] < int(store["close_hour_local"]))
            & (expected["isodow"] != 7)
        )
        bad = rows["is_open_hour"].astype(bool) != open_hour
        assert not bad.any(), f"{name} {store_id}: is_open_hour wrong on {int(bad.sum())} rows"


def test_dst_days_have_23_and_25_hours(
    small_warehouse: Chain, marts: dict[str, pd.DataFrame]
) -> None:
    """The window holds both changes of 2024-25: 25 hours on 2024-10-27, 23 on 2025-03-30."""
    hourly = marts["fct_store_traffic_hourly"]
    last_day = pd.Timestamp(hourly["local_date"].max())
    for store_id, rows in hourly.groupby("store_id"):
        n_hours = rows.groupby("local_date").size()
        assert n_hours[pd.Timestamp("2024-10-27")] == 25, store_id
        assert n_hours[pd.Timestamp("2025-03-30")] == 23, store_id
        others = n_hours.drop([pd.Timestamp("2024-10-27"), pd.Timestamp("2025-03-30"), last_day])
        assert (others == 24).all(), f"{store_id}: days without 24 hours:\n{others[others != 24]}"
        # On the 25-hour day one local hour occurs twice; on the 23-hour day one is absent.
        autumn = rows[rows["local_date"] == pd.Timestamp("2024-10-27")]["local_hour"]
        assert autumn.duplicated().sum() == 1, store_id
        spring = rows[rows["local_date"] == pd.Timestamp("2025-03-30")]["local_hour"]
        assert spring.nunique() == 23, store_id
        for daily, keys in [
            ("fct_store_traffic_daily", ["store_id"]),
            ("fct_sensor_traffic_daily", SENSOR_KEYS),
        ]:
            days = marts[daily][marts[daily]["store_id"] == store_id]
            merged = days.merge(n_hours.rename("hours_in_day"), on="local_date")
            assert len(merged) == len(days)
            report = mismatches(merged, "n_hours", "hours_in_day", [*keys, "local_date"], atol=0)
            assert not report, f"{daily}.n_hours is not the hours of the local day: {report}"


def test_sensor_hours_have_one_status_and_matching_counts(
    marts: dict[str, pd.DataFrame],
) -> None:
    hourly = marts["fct_sensor_traffic_hourly"]
    unknown = set(hourly["status"].unique()) - set(STATUSES)
    assert not unknown, f"statuses outside {STATUSES}: {unknown}"
    for column, status in STATUS_COUNTS.items():
        expected = (hourly["status"] == status).astype(int)
        bad = hourly[column] != expected
        assert not bad.any(), f"{column} is not 1 exactly on {status} hours ({bad.sum()} rows)"
    assert set(hourly["status"].unique()) >= {"ok", "failed", "anomalous", "closed"}
    closed = hourly[hourly["status"] == "closed"]
    assert not closed["is_open_hour"].any(), "an open hour is classified closed"


def test_cleaning_rule(marts: dict[str, pd.DataFrame]) -> None:
    """Closed hours 0; ok open hours as reported; failed, anomalous, missing: the expected."""
    hourly = marts["fct_sensor_traffic_hourly"]
    keys = KEYS["fct_sensor_traffic_hourly"]
    closed = hourly[~hourly["is_open_hour"].astype(bool)]
    assert (closed["visits_clean"] == 0).all(), "a closed hour has clean visits other than 0"
    ok = hourly[hourly["is_open_hour"].astype(bool) & (hourly["status"] == "ok")]
    assert not mismatches(ok, "visits_clean", "visits_raw", keys)
    replaced = hourly[
        hourly["is_open_hour"].astype(bool)
        & hourly["status"].isin(["failed", "anomalous", "missing"])
        & hourly["visits_expected"].notna()
    ]
    assert len(replaced) > 0
    assert not mismatches(replaced, "visits_clean", "visits_expected", keys)
    failed_or_missing = hourly[hourly["status"].isin(["failed", "missing"])]
    assert failed_or_missing["visits_raw"].isna().all(), "failed or missing hours have visits_raw"
    reported = hourly[hourly["status"].isin(["ok", "anomalous", "closed"])]
    assert (reported["visits_raw"] >= 0).all()


def _sum_check(
    detail: pd.DataFrame,
    total: pd.DataFrame,
    keys: list[str],
    what: str,
) -> None:
    """Every measure of `total` equals the sum of `detail` over `keys`."""
    measures = ["visits_raw", "visits_clean", *COUNTS]
    sums = detail.groupby(keys, dropna=False)[measures].sum(min_count=1).reset_index()
    merged = total.merge(sums, on=keys, how="outer", suffixes=("", "_sum"), indicator=True)
    assert (merged["_merge"] == "both").all(), f"{what}: keys present on one side only"
    for column in measures:
        merged[f"{column}_sum"] = merged[f"{column}_sum"].fillna(0)
        merged[column] = merged[column].fillna(0)
        report = mismatches(merged, column, f"{column}_sum", keys, rtol=1e-9, atol=1e-6)
        assert not report, f"{what}: {report}"


def test_a_store_is_the_sum_of_its_sensors(marts: dict[str, pd.DataFrame]) -> None:
    _sum_check(
        marts["fct_sensor_traffic_hourly"],
        marts["fct_store_traffic_hourly"],
        ["store_id", "hour_start_utc"],
        "store hourly vs its sensors",
    )
    _sum_check(
        marts["fct_sensor_traffic_daily"],
        marts["fct_store_traffic_daily"],
        ["store_id", "local_date"],
        "store daily vs its sensors",
    )
    hourly = marts["fct_store_traffic_hourly"].set_index("store_id")
    n_sensors = marts["dim_stores"].set_index("store_id")["n_sensors"]
    assert (hourly["n_sensors"] == n_sensors.reindex(hourly.index)).all()


def test_a_day_is_the_sum_of_its_hours(marts: dict[str, pd.DataFrame]) -> None:
    for hourly, daily, keys in [
        ("fct_sensor_traffic_hourly", "fct_sensor_traffic_daily", SENSOR_KEYS),
        ("fct_store_traffic_hourly", "fct_store_traffic_daily", ["store_id"]),
    ]:
        _sum_check(marts[hourly], marts[daily], [*keys, "local_date"], f"{daily} vs {hourly}")
        hours = (
            marts[hourly]
            .assign(is_open=marts[hourly]["is_open_hour"].astype(int))
            .groupby([*keys, "local_date"])
            .agg(hours=("hour_start_utc", "size"), open_hours=("is_open", "sum"))
            .reset_index()
        )
        merged = marts[daily].merge(hours, on=[*keys, "local_date"])
        assert len(merged) == len(marts[daily])
        assert not mismatches(merged, "n_hours", "hours", [*keys, "local_date"], atol=0)
        assert not mismatches(merged, "n_open_hours", "open_hours", [*keys, "local_date"], atol=0)


@pytest.mark.parametrize("name", FACTS)
def test_data_quality_is_the_share_of_ok_open_sensor_hours(
    marts: dict[str, pd.DataFrame], name: str
) -> None:
    sensor_hours = marts["fct_sensor_traffic_hourly"]
    is_open = sensor_hours["is_open_hour"].astype(bool)
    sensor_hours = sensor_hours.assign(
        open=is_open.astype(int), ok_open=(is_open & (sensor_hours["status"] == "ok")).astype(int)
    )
    keys = KEYS[name]
    shares = sensor_hours.groupby(keys)[["open", "ok_open"]].sum().reset_index()
    shares["expected"] = 100.0 * shares["ok_open"] / shares["open"].where(shares["open"] > 0)
    merged = marts[name].merge(shares, on=keys)
    assert len(merged) == len(marts[name])
    report = mismatches(merged, "data_quality_pct", "expected", keys)
    assert not report, f"{name}.data_quality_pct: {report}"


def _dst_dates(marts: dict[str, pd.DataFrame]) -> set[pd.Timestamp]:
    hours = marts["fct_store_traffic_hourly"].groupby(["store_id", "local_date"]).size()
    last_day = marts["fct_store_traffic_hourly"]["local_date"].max()
    return {day for (_, day), n in hours.items() if n != 24 and day != last_day}


@pytest.mark.parametrize("name", FACTS)
def test_trend_measures_match_a_direct_recomputation(
    marts: dict[str, pd.DataFrame], name: str
) -> None:
    """4-week same-weekday moving average (by date), week-over-week, deviation (DESIGN.md 3)."""
    frame = marts[name]
    keys = ["store_id"] + (["sensor_id"] if "sensor_id" in frame else [])
    if name in HOURLY:
        # Same weekday and local hour. A local hour is ambiguous on a DST day (it occurs twice
        # or not at all), so rows whose measures reach back to one are left out of the check.
        keys.append("local_hour")
        dst = _dst_dates(marts)
        frame = frame[~frame["local_date"].isin(dst)]
        reaches_dst = pd.Series(False, index=frame.index)
        for k in range(5):
            reaches_dst |= (frame["local_date"] - pd.Timedelta(days=7 * k)).isin(dst)
    expected = recompute_trend(frame, keys)
    merged = frame.merge(expected, on=[*keys, "local_date"], how="left", validate="one_to_one")
    if name in HOURLY:
        merged = merged[~reaches_dst.to_numpy()]
    assert len(merged) > 0
    errors = [
        mismatches(merged, measure, f"expected_{measure}", [*keys, "local_date"])
        for measure in TREND
    ]
    errors = [e for e in errors if e]
    assert not errors, f"{name}:\n" + "\n".join(errors)
    # The check is not vacuous: full 4-point averages and non-null changes exist.
    assert (merged["n_ma_4w_points"] == 4).any()
    assert merged["visits_clean_wow_pct"].notna().any()


@pytest.mark.parametrize("name", FACTS)
def test_measures_are_null_where_the_divisor_is_zero(
    marts: dict[str, pd.DataFrame], name: str
) -> None:
    """Sundays and closed hours have 0 visits: their changes and deviations are null."""
    frame = marts[name]
    closed = frame[frame["isodow"] == 7]
    if name in HOURLY:
        closed = frame[~frame["is_open_hour"].astype(bool)]
    assert len(closed) > 0
    assert (closed["visits_clean"] == 0).all()
    assert (closed["visits_clean_ma_4w"] == 0).all()
    for measure in ["visits_clean_wow_pct", "ma_4w_wow_pct", "deviation_from_ma_4w_pct"]:
        assert closed[measure].isna().all(), f"{name}: {measure} not null on a zero divisor"
    # A day after a zero (a Monday after a Sunday is a different weekday) still has values.
    open_rows = frame[frame["visits_clean"] > 0]
    assert open_rows["deviation_from_ma_4w_pct"].notna().any()
