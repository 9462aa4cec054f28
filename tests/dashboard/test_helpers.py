"""The small rules the pages rely on: changes, ages, hourly ranges, sensor filters."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from dashboards import queries, ui


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [(110, 100, 10.0), (90, 100, -10.0), (5, 0, None), (5, None, None), (float("nan"), 3, None)],
)
def test_pct_change_is_null_without_a_divisor(new, old, expected) -> None:
    assert ui.pct_change(new, old) == expected


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        (datetime(2026, 11, 23, 11, 59, 30), "just now"),
        (datetime(2026, 11, 23, 11, 55), "5 min ago"),
        (datetime(2026, 11, 23, 9, 0), "3 h ago"),
        (datetime(2026, 11, 22, 11, 0), "1 day ago"),
        (datetime(2026, 11, 1, 12, 0), "22 days ago"),
        (None, "unknown"),
        (pd.NaT, "unknown"),
    ],
)
def test_age_in_words(then, expected) -> None:
    assert ui.age(then, now=datetime(2026, 11, 23, 12, 0)) == expected


def test_hourly_views_show_at_most_92_days() -> None:
    assert queries.clamp_hourly(date(2025, 1, 1), date(2025, 1, 31)) == (date(2025, 1, 1), False)
    start, cut = queries.clamp_hourly(date(2024, 1, 1), date(2025, 1, 31))
    assert cut and (date(2025, 1, 31) - start).days + 1 == queries.HOURLY_MAX_DAYS


def test_sensor_filter_picks_exactly_the_chosen_sensors() -> None:
    con = duckdb.connect()
    con.execute(
        "create table t as select s.store_id, i::integer as sensor_id "
        "from (values ('paris'), ('roma'), ('paris2')) s(store_id), range(4) r(i)"
    )
    where, params = queries._sensor_filter(["paris:1", "roma:3", "paris:2", "paris2:0"])
    rows = con.execute(f"select store_id, sensor_id from t where {where} order by 1, 2", params)
    assert rows.fetchall() == [("paris", 1), ("paris", 2), ("paris2", 0), ("roma", 3)]
    where, params = queries._sensor_filter([])
    assert con.execute(f"select count(*) from t where {where}", params).fetchone() == (0,)


def test_unknown_measures_and_resolutions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown measure 'net'"):
        queries.weekly_trend(lambda sql, params: pd.DataFrame(), ["paris"], "net")
    with pytest.raises(ValueError, match="unknown resolution 'monthly'"):
        queries.store_series(
            lambda sql, params: pd.DataFrame(), ["paris"], date.today(), date.today(), "monthly"
        )
