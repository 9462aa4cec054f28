"""An incremental `dbt build` after new data equals a full refresh, on every mart, row for row.

A copy of the shared small warehouse gets new data: the simulator's clock moves on by two and
a half days, and late data arrive too (London's readings of a Saturday afternoon already
loaded now count 50 % more, as a corrected feed would say); the loader runs again from its
watermark, re-reading the last 48 hours. Madrid's only sensor goes silent for the last 20
hours of the new data (an outage still going on), so the store's feed stops before the
load's end: its hours must still run to the end of what the loader read, as missing hours
that the silent alerts see. And old data change: London's readings of a week three months
before the previous load's end, far older than the models' lookback, are re-read and count
50 % more (as a `python -m loaders --start ... --end ...` re-read of a corrected feed, or a
gap that a killed load left and a later load filled, would stage them). Then one copy is
built incrementally and another with `--full-refresh`, and their marts are compared table
by table.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.chain import Chain, iso_utc
from tests.conftest import SMALL_WAREHOUSE_START
from tests.dbt.marts_checks import KEYS

# New data ending mid-day, so the last local day is partial before and after.
ADVANCE = timedelta(days=2, hours=13)
# Late data: open hours (Saturday afternoon in London) a day and a half before the previous
# load's end, inside the loader's re-read overlap (set to 48 hours here) and the models'
# lookback (footfall_lookback_days).
LATE_STORE = "london"
LATE_START_BEFORE = timedelta(hours=38)
LATE_HOURS = 6
LOADER_ENV = {"FOOTFALL_LOADER_OVERLAP_HOURS": "48"}
# A silent store: Madrid's single sensor reports nothing in the last SILENT_HOURS of the load.
SILENT_STORE = "madrid"
SILENT_HOURS = 20
# Old data: a week of LATE_STORE's readings from OLD_START_BEFORE before the previous load's
# end, far beyond footfall_lookback_days (3) plus the expected values' 56-day reach.
OLD_START_BEFORE = timedelta(days=90)
OLD_DAYS = 7
OLD_FACTOR = 1.5
# Early data: three days of LATE_STORE's readings in the second week of the modelled window,
# restated too. The expected values of the first weeks come from the "following 28 days"
# window, so a change there reaches back before itself (up to 56 days: footfall_reach).
EARLY_START_AFTER = timedelta(days=8)
EARLY_DAYS = 3


def late_window(previous_now: datetime) -> tuple[datetime, datetime]:
    """The UTC hours [start, end) whose readings the corrected feed changes."""
    start = previous_now - LATE_START_BEFORE
    return start, start + timedelta(hours=LATE_HOURS)


def late_data(previous_now: datetime) -> dict[str, object]:
    """A simulator scenario: the late window's readings of LATE_STORE count 50 % more."""
    start, end = late_window(previous_now)
    return {
        "kind": "traffic",
        "store_id": LATE_STORE,
        "start_utc": iso_utc(start),
        "end_utc": iso_utc(end),
        "factor": 1.5,
    }


def silent_tail(now: datetime) -> dict[str, object]:
    """A simulator scenario: SILENT_STORE's sensor 0 out from SILENT_HOURS before now, on and on."""
    return {
        "kind": "outage",
        "store_id": SILENT_STORE,
        "sensor_id": 0,
        "start_utc": iso_utc(now - timedelta(hours=SILENT_HOURS)),
        "end_utc": iso_utc(now + timedelta(days=30)),
    }


def old_window(previous_now: datetime) -> tuple[datetime, datetime]:
    """The UTC hours [start, end) of the old readings that change after the first build."""
    start = (previous_now - OLD_START_BEFORE).replace(tzinfo=None)
    return start, start + timedelta(days=OLD_DAYS)


def early_window(first_day: datetime) -> tuple[datetime, datetime]:
    """The UTC hours [start, end) of the early readings that change after the first build."""
    start = first_day + EARLY_START_AFTER
    return start, start + timedelta(days=EARLY_DAYS)


def restate_old_readings(chain: Chain, window: tuple[datetime, datetime]) -> None:
    """LATE_STORE's window counts OLD_FACTOR more, stamped as loaded after everything else.

    What the loader does to a reading that a re-read finds changed: the row is replaced in
    place with the new value and the load's time (raw.sensor_readings keeps one row per key).
    """
    start, end = window
    with chain.connect(read_only=False) as con:
        con.execute(
            """
            update raw.sensor_readings
            set
                visits = (visits * ?)::integer,
                _loaded_at = (select max(_loaded_at) from raw.sensor_readings) + interval 1 second
            where store_id = ? and reading_start_utc >= ? and reading_start_utc < ? and visits > 0
            """,
            [OLD_FACTOR, LATE_STORE, start, end],
        )


@pytest.fixture(scope="module")
def builds(small_warehouse: Chain, tmp_path_factory: pytest.TempPathFactory) -> tuple[Chain, Chain]:
    """(incremental, full refresh): the same raw data, the marts built both ways."""
    now = small_warehouse.now + ADVANCE
    loaded = small_warehouse.copy(tmp_path_factory.mktemp("incremental")).load(
        now,
        scenarios=[late_data(small_warehouse.now), silent_tail(now)],
        loader_env=LOADER_ENV,
    )
    restate_old_readings(loaded, old_window(small_warehouse.now))
    first_day = datetime.fromisoformat(SMALL_WAREHOUSE_START)
    restate_old_readings(loaded, early_window(first_day))
    refreshed = loaded.copy(tmp_path_factory.mktemp("full_refresh")).dbt_build("--full-refresh")
    incremental = loaded.dbt_build()
    return incremental, refreshed


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in key order; a mart outside the contract is ordered by all its values as text."""
    if keys:
        return frame.sort_values(keys, ignore_index=True)
    order = frame.astype(str).sort_values(list(frame.columns)).index
    return frame.loc[order].reset_index(drop=True)


def _differences(name: str, left: pd.DataFrame, right: pd.DataFrame) -> str:
    """'' when two versions of a mart hold the same rows (floats to 1e-9), else a report."""
    if list(left.columns) != list(right.columns):
        return f"{name}: columns differ: {list(left.columns)} vs {list(right.columns)}"
    if len(left) != len(right):
        return f"{name}: {len(left)} rows incremental vs {len(right)} full refresh"
    keys = KEYS.get(name, [])
    left, right = _sorted(left, keys), _sorted(right, keys)
    problems = []
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            a_num, b_num = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
            same = np.isclose(a_num, b_num, rtol=1e-9, atol=1e-9) | (
                np.isnan(a_num) & np.isnan(b_num)
            )
        else:
            text_equal = (a.astype(str) == b.astype(str)).fillna(False)
            same = (text_equal | (a.isna() & b.isna())).to_numpy(dtype=bool)
        if not same.all():
            shown = pd.DataFrame(
                {**{k: left[k] for k in keys}, "incremental": a, "full_refresh": b}
            )[~same].head(5)
            problems.append(f"{column}: {int((~same).sum())} rows differ, e.g.\n{shown}")
    return f"{name}:\n" + "\n".join(problems) if problems else ""


def test_incremental_build_passes(builds: tuple[Chain, Chain]) -> None:
    incremental, refreshed = builds
    for chain, how in [(incremental, "incremental"), (refreshed, "full refresh")]:
        assert chain.build is not None
        assert chain.build.returncode == 0, f"{how} build:\n" + "\n".join(chain.build.failures())


def test_incremental_build_adds_the_new_hours(builds: tuple[Chain, Chain]) -> None:
    incremental, _ = builds
    last_hour = (incremental.now - timedelta(hours=1)).replace(tzinfo=None)
    with incremental.connect() as con:
        for name in ["fct_sensor_traffic_hourly", "fct_store_traffic_hourly"]:
            (latest,) = con.execute(f"select max(hour_start_utc) from {name}").fetchone()
            assert latest == last_hour, f"{name} ends at {latest}, the data at {last_hour}"


def test_a_silent_store_keeps_its_hours_to_the_end_of_the_load(builds: tuple[Chain, Chain]) -> None:
    """The spine runs to the last hour the loader read, not to the store's last reading."""
    last_hour = (builds[0].now - timedelta(hours=1)).replace(tzinfo=None)
    silent_since = last_hour - timedelta(hours=SILENT_HOURS - 1)
    for chain in builds:
        with chain.connect() as con:
            (last_reading,) = con.execute(
                "select max(last_reading_utc) from dim_sensors where store_id = ?", [SILENT_STORE]
            ).fetchone()
            tail = con.execute(
                """
                select hour_start_utc, status from fct_sensor_traffic_hourly
                where store_id = ? and hour_start_utc >= ? order by hour_start_utc
                """,
                [SILENT_STORE, silent_since],
            ).fetchall()
            alerts = con.execute(
                "select rule, severity from fct_alerts where store_id = ? and is_open",
                [SILENT_STORE],
            ).fetchall()
        assert last_reading == silent_since - timedelta(hours=1), "the feed did not stop"
        assert [t for t, _ in tail] == [
            silent_since + timedelta(hours=h) for h in range(SILENT_HOURS)
        ], f"{SILENT_STORE}'s hours stop at {tail[-1][0] if tail else None}, not at {last_hour}"
        assert {status for _, status in tail} == {"missing"}
        assert sorted(alerts) == [("silent_sensor", "warning"), ("silent_store", "critical")]


def test_late_data_reach_the_marts(small_warehouse: Chain, builds: tuple[Chain, Chain]) -> None:
    """The corrected hours differ from what the shared warehouse had: the check is not empty."""
    incremental, _ = builds
    start, end = (t.replace(tzinfo=None) for t in late_window(small_warehouse.now))
    sql = f"""
        select hour_start_utc, visits_raw from fct_store_traffic_hourly
        where store_id = '{LATE_STORE}' and hour_start_utc >= '{start}' and hour_start_utc < '{end}'
        order by hour_start_utc
    """
    with small_warehouse.connect() as con:
        before = con.sql(sql).df()
    with incremental.connect() as con:
        after = con.sql(sql).df()
    assert len(before) == len(after) == LATE_HOURS
    opened = before["visits_raw"].fillna(0) > 0
    assert opened.sum() >= LATE_HOURS - 1, f"the late hours are not open hours:\n{before}"
    ratio = after["visits_raw"][opened] / before["visits_raw"][opened]
    assert (ratio > 1.3).all(), f"late readings did not reach the marts:\n{before}\n{after}"


def test_old_late_data_reach_the_marts(small_warehouse: Chain, builds: tuple[Chain, Chain]) -> None:
    """Readings changed far behind the lookback reach the marts, hourly and daily."""
    incremental, _ = builds
    start, end = old_window(small_warehouse.now)
    queries = {
        "fct_store_traffic_hourly": f"""
            select hour_start_utc as moment, visits_raw from fct_store_traffic_hourly
            where store_id = '{LATE_STORE}'
              and hour_start_utc >= '{start}' and hour_start_utc < '{end}'
            order by moment
        """,
        "fct_sensor_traffic_daily": f"""
            select local_date as moment, sum(visits_raw) as visits_raw from fct_sensor_traffic_daily
            where store_id = '{LATE_STORE}'
              and local_date > '{start.date()}' and local_date < '{end.date()}'
            group by local_date order by moment
        """,
    }
    for name, sql in queries.items():
        with small_warehouse.connect() as con:
            before = con.sql(sql).df()
        with incremental.connect() as con:
            after = con.sql(sql).df()
        assert len(before) == len(after) > 0, name
        opened = before["visits_raw"].fillna(0) > 0
        assert opened.sum() >= OLD_DAYS - 2, f"{name}: too few open hours:\n{before}"
        ratio = after["visits_raw"][opened] / before["visits_raw"][opened]
        assert (ratio > 1.3).all(), f"{name}: old readings did not reach it:\n{before}\n{after}"


def test_incremental_build_equals_a_full_refresh(builds: tuple[Chain, Chain]) -> None:
    incremental, refreshed = builds
    names = incremental.marts()
    assert names == refreshed.marts()
    assert set(KEYS) <= set(names)
    problems = []
    with incremental.connect() as inc, refreshed.connect() as full:
        for name in names:
            report = _differences(
                name, inc.sql(f"select * from {name}").df(), full.sql(f"select * from {name}").df()
            )
            if report:
                problems.append(report)
    assert not problems, "\n\n".join(problems)
