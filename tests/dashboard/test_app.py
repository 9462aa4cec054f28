"""Every page of the dashboard with Streamlit's AppTest, on the small real warehouse, published.

The figures a page shows are checked against the marts of the warehouse itself, computed
here independently with pandas.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from footfall.publish import publish
from tests.conftest import REPO_ROOT
from tests.dashboard.conftest import PAGES

APP = REPO_ROOT / "dashboards" / "app.py"
TITLES = {
    "views/overview.py": "Chain overview",
    "views/stores.py": "Stores",
    "views/sensors.py": "Sensors",
    "views/trends.py": "Weekday trends",
    "views/quality.py": "Data quality",
    "views/alerts.py": "Alerts",
}


def open_page(serving: Path, page: str, monkeypatch: pytest.MonkeyPatch, **query) -> AppTest:
    """The app on the snapshot at serving, on one page, with query parameters in the URL."""
    monkeypatch.setenv("FOOTFALL_SERVING", str(serving))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query)
    if page != "views/overview.py":
        at.switch_page(page)  # as a link to the page does: the first run is on it
    return at.run()


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_data(at: AppTest) -> list[pd.DataFrame]:
    """The data of every chart on the page, as the browser receives it."""
    frames = []
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(dataset.data.data).read_all().to_pandas())
    return frames


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label_start: str):
    found = [m for m in at.metric if m.label.startswith(label_start)]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def half_up(x: float) -> float:
    return float(math.floor(x + 0.5))


def default_range(marts: dict[str, pd.DataFrame]) -> tuple[date, date]:
    end = pd.Timestamp(marts["fct_store_traffic_daily"].local_date.max()).date()
    return end - timedelta(days=55), end


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_shows_the_real_data_without_errors(
    published: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, page, monkeypatch)
    no_errors(at)
    assert [t.value for t in at.title] == [TITLES[page]]
    frames = chart_data(at)
    assert frames and max(len(f) for f in frames) > 0, "a chart without data"
    assert at.get("download_button"), "nothing to download"
    assert any("Published" in c.value for c in at.sidebar.caption)


def test_overview_compares_the_weeks_as_the_marts_say(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, "views/overview.py", monkeypatch)
    no_errors(at)
    hourly = marts["fct_store_traffic_hourly"]
    expected = {}
    for store_id, hours in hourly.groupby("store_id"):
        as_of = hours.hour_start_local.max()
        monday = as_of.normalize() - pd.Timedelta(days=as_of.weekday())
        t = hours.hour_start_local
        # Every figure is shown in whole visits, halves up, per store before any sum.
        expected[store_id] = (
            half_up(hours.visits_clean[(t >= monday - pd.Timedelta(days=7)) & (t < monday)].sum()),
            half_up(
                hours.visits_clean[
                    (t >= monday - pd.Timedelta(days=14)) & (t < monday - pd.Timedelta(days=7))
                ].sum()
            ),
        )
    week = sum(v[0] for v in expected.values())
    before = sum(v[1] for v in expected.values())
    shown = metric(at, "Last full week")
    assert shown.value == f"{week:,.0f}"
    # The change, and the week before as a figure.
    assert shown.delta == f"{100 * (week - before) / before:+.1f} % from {before:,.0f}"
    table = at.dataframe[0].value.set_index("store")
    assert table.loc["London", "full_week"] == pytest.approx(expected["london"][0])
    assert table.loc["Madrid", "full_week_wow_pct"] == pytest.approx(
        100 * (expected["madrid"][0] - expected["madrid"][1]) / expected["madrid"][1]
    )
    # The trend since opening: complete weeks, each the sum of its 7 days.
    weekly = next(f for f in chart_data(at) if "week_start" in f.columns)
    daily = marts["fct_store_traffic_daily"]
    madrid = daily[daily.store_id == "madrid"].assign(
        week=lambda d: pd.to_datetime(d.local_date).dt.to_period("W-SUN").dt.start_time
    )
    sums = madrid.groupby("week").visits_clean.agg(["sum", "count"])
    shown_weeks = weekly[weekly.store == "Madrid"].set_index("week_start").visits
    assert len(shown_weeks) > 20
    for week_start, visits in shown_weeks.items():
        assert sums.loc[week_start, "count"] == 7
        assert visits == pytest.approx(sums.loc[week_start, "sum"])


def test_store_explorer_follows_the_controls(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, "views/stores.py", monkeypatch)
    no_errors(at)
    start, end = default_range(marts)
    daily = next(f for f in chart_data(at) if "period_local" in f.columns)
    assert set(daily.store) == {"London", "Madrid"}
    assert daily.period_local.min().date() == start and daily.period_local.max().date() == end
    assert len(daily) == 2 * 56
    # One store, hourly, raw visits: the chart draws exactly the mart's hours and raw counts.
    at.multiselect(key="stores").set_value(["madrid"])
    at.radio(key="res").set_value("hourly")
    at.radio(key="measure").set_value("raw")
    rerun(at)
    no_errors(at)
    hourly = next(f for f in chart_data(at) if "period_local" in f.columns)
    mart = marts["fct_store_traffic_hourly"]
    mart = mart[
        (mart.store_id == "madrid")
        & (mart.local_date >= pd.Timestamp(start))
        & (mart.local_date <= pd.Timestamp(end))
    ]
    assert set(hourly.store) == {"Madrid"} and len(hourly) == len(mart)
    assert hourly.visits_raw.sum() == mart.visits_raw.sum()
    line = next(
        layer
        for spec in chart_specs(at)
        for layer in spec.get("layer", [spec])
        if layer.get("mark", {}).get("type") == "line"
    )
    assert line["encoding"]["y"]["field"] == "visits_raw"
    assert "Raw visits per hour" in at.caption[0].value
    # The table under the chart, which the CSV button downloads, is what the chart shows.
    shown = at.dataframe[1].value
    assert len(shown) == len(mart) and shown.visits_raw.sum() == mart.visits_raw.sum()


def test_the_url_sets_the_view(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        published,
        "views/stores.py",
        monkeypatch,
        stores="London",
        res="Hourly",
        measure="Raw",
        dates=["2025-03-03", "2025-03-09"],
    )
    no_errors(at)
    assert at.multiselect(key="stores").value == ["london"]
    assert at.radio(key="res").value == "hourly" and at.radio(key="measure").value == "raw"
    series = next(f for f in chart_data(at) if "period_local" in f.columns)
    assert set(series.store) == {"London"}
    assert series.period_local.min() == pd.Timestamp("2025-03-03 00:00")
    assert series.period_local.max() == pd.Timestamp("2025-03-09 23:00")


def test_hourly_views_are_cut_to_92_days_with_a_note(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        published, "views/stores.py", monkeypatch, res="Hourly", dates=["2024-10-07", "2025-04-06"]
    )
    no_errors(at)
    assert any("at most 92 days" in i.value for i in at.info)
    series = next(f for f in chart_data(at) if "period_local" in f.columns)
    assert series.period_local.min().date() == date(2025, 4, 6) - timedelta(days=91)


def test_sensor_explorer_compares_sensors_of_two_stores(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, "views/sensors.py", monkeypatch)
    no_errors(at)
    # By default a few sensors of the first store (London, 8 sensors: the first 6).
    assert at.multiselect(key="sensors").value == [f"london:{i}" for i in range(6)]
    at.multiselect(key="sensors").set_value(["london:3", "madrid:0"])
    at.radio(key="res").set_value("hourly")
    rerun(at)
    no_errors(at)
    frames = chart_data(at)
    series = max(frames, key=len)
    assert set(series.sensor) == {"London · Door 3", "Madrid · Door 0"}
    start, end = default_range(marts)
    mart = marts["fct_sensor_traffic_hourly"]
    mart = mart[
        (((mart.store_id == "london") & (mart.sensor_id == 3)) | (mart.store_id == "madrid"))
        & (mart.local_date >= pd.Timestamp(start))
        & (mart.local_date <= pd.Timestamp(end))
    ]
    assert len(series) == len(mart)
    # Each hour in whole visits, halves up, as every figure of the dashboard.
    assert series.visits_clean.sum() == (mart.visits_clean + 0.5).apply(math.floor).sum()
    # The hours cleaning replaced are marked, with their status.
    marks = min(frames, key=len)
    bad = mart[mart.status.isin(["failed", "anomalous", "missing"]) & mart.is_open_hour]
    assert len(marks) == len(bad) > 0
    assert set(marks.status) == set(bad.status)


def test_weekday_trends_show_the_marts_measures(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, "views/trends.py", monkeypatch)
    no_errors(at)
    at.selectbox(key="weekday").set_value(3)
    rerun(at)
    no_errors(at)
    table = at.dataframe[0].value
    start, end = default_range(marts)
    daily = marts["fct_store_traffic_daily"]
    wednesdays = daily[
        (daily.isodow == 3)
        & (daily.local_date >= pd.Timestamp(start))
        & (daily.local_date <= pd.Timestamp(end))
    ]
    assert set(table.isodow) == {3} and len(table) == len(wednesdays) == 16
    merged = table.assign(local_date=table.local_date.dt.date).merge(
        wednesdays.assign(
            store=wednesdays.store_id.str.capitalize(), local_date=wednesdays.local_date.dt.date
        ),
        on=["store", "local_date"],
        suffixes=("", "_mart"),
    )
    for column in ("visits_clean_wow_pct", "deviation_from_ma_4w_pct"):
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_mart"], check_names=False)
    # Visits in whole numbers, halves up, as everywhere on the dashboard.
    pd.testing.assert_series_equal(
        merged["visits_clean_ma_4w"],
        merged["visits_clean_ma_4w_mart"].apply(half_up),
        check_names=False,
    )
    # One local hour of the day: the hourly marts' measures at that hour.
    at.selectbox(key="hour").set_value("12")
    rerun(at)
    hours = at.dataframe[0].value
    assert len(hours) == 16 and set(hours.local_time.dt.hour) == {12}


def test_data_quality_shows_the_build_tests_and_every_sensor(
    small_warehouse, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(published, "views/quality.py", monkeypatch)
    no_errors(at)
    results = [
        r
        for r in small_warehouse.build.run_results["results"]
        if r["unique_id"].startswith(("test.", "unit_test."))
    ]
    n_pass = sum(r["status"] == "pass" for r in results)
    assert metric(at, "Passed").value == str(n_pass)
    assert metric(at, "Failed").value == str(sum(r["status"] == "fail" for r in results))
    for label in ("Latest data", "Last load", "Last build", "Published"):
        assert metric(at, label).value != "unknown"
    with small_warehouse.connect() as con:
        (n_sensors,) = con.execute(
            "select count(distinct (store_id, sensor_id)) from fct_sensor_traffic_daily"
        ).fetchone()
    by_sensor = next(d.value for d in at.dataframe if "sensor" in d.value.columns)
    assert len(by_sensor) == n_sensors
    assert by_sensor.data_quality_pct.is_monotonic_increasing  # worst first
    grid = next(f for f in chart_data(at) if "n_bad_hours" in f.columns)
    assert grid.sensor.nunique() == 8  # London's doors, the first store


def test_no_store_chosen_asks_for_one(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(published, "views/stores.py", monkeypatch)
    at.multiselect(key="stores").set_value([])
    rerun(at)
    no_errors(at)
    assert any("Choose at least one store" in i.value for i in at.info)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_missing_snapshot_shows_which_command_to_run(
    tmp_path: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path / "nothing-yet.duckdb", page, monkeypatch)
    no_errors(at)
    assert "does not exist" in at.info[0].value
    commands = " ".join(c.value for c in at.code)
    assert "make demo" in commands and "make load" in commands and "make build" in commands


def test_an_empty_or_incomplete_snapshot_shows_a_friendly_page(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute(f"attach '{published}' as src (read_only)")
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'src'"
        ).fetchall():
            con.execute(f"create table {table} as select * from src.{table} limit 0")
    at = open_page(empty, "views/overview.py", monkeypatch)
    no_errors(at)
    assert "holds no traffic yet" in at.info[0].value
    assert "make load" in " ".join(c.value for c in at.code)

    incomplete = tmp_path / "incomplete.duckdb"
    with duckdb.connect(str(incomplete)) as con:
        con.execute("create table dim_stores (store_id varchar)")
    at = open_page(incomplete, "views/stores.py", monkeypatch)
    no_errors(at)
    assert "cannot be shown" in at.warning[0].value and "serving_info" in at.warning[0].value


def test_a_new_snapshot_shows_on_the_next_run(
    small_warehouse, published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = tmp_path / "serving.duckdb"
    shutil.copy2(published, serving)
    at = open_page(serving, "views/overview.py", monkeypatch)
    no_errors(at)
    assert set(at.dataframe[0].value.store) == {"London", "Madrid"}
    # Publish a warehouse without London over it: the same session shows it on its next run.
    chain = small_warehouse.copy(tmp_path / "chain")
    with chain.connect(read_only=False) as con:
        for table in ("fct_store_traffic_hourly", "fct_store_traffic_daily", "dim_stores"):
            con.execute(f"delete from {table} where store_id = 'london'")
    publish(chain.warehouse, serving, chain.target_path)
    rerun(at)
    no_errors(at)
    assert set(at.dataframe[0].value.store) == {"Madrid"}
