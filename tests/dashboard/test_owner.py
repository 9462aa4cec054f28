"""What an owner relies on, with Streamlit's AppTest on the small real warehouse (published)
and on a 100-store snapshot: links that never fail silently, weeks, averages over open hours,
weekday trends that do not exaggerate, alerts in words, charts whose legends and colours say
what is drawn."""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards import charts, queries, snapshot
from tests.dashboard.test_app import chart_data, chart_specs, no_errors, open_page, rerun


def _half_up(x: float) -> float:
    return float(math.floor(x + 0.5))


def notices(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize(
    ("page", "query", "named", "instead"),
    [
        ("views/stores.py", {"stores": "Nowhere"}, "“Nowhere”", "showing Madrid and London"),
        ("views/stores.py", {"dates": "garbage"}, "“garbage”", "showing "),
        ("views/stores.py", {"res": "Monthly"}, "“Monthly”", "showing Daily"),
        ("views/stores.py", {"measure": "Net"}, "“Net”", "showing Clean visits"),
        ("views/trends.py", {"weekday": "Funday"}, "“Funday”", "showing Saturdays"),
        ("views/trends.py", {"hour": "25:00"}, "“25:00”", "showing whole day"),
        (
            "views/stores.py",
            {"dates": ["2025-03-09", "2025-03-01"]},
            "backwards (09 Mar 2025 to 01 Mar 2025)",
            "showing 01 Mar 2025 to 09 Mar 2025",
        ),
        ("views/alerts.py", {"alert": "nope"}, "“nope”", "showing every alert"),
        ("views/sensors.py", {"sensors": "Atlantis · Door 9"}, "“Atlantis · Door 9”", "showing"),
    ],
)
def test_a_bad_link_gets_a_notice_naming_the_value_and_what_is_shown(
    published: Path, page: str, query: dict, named: str, instead: str, monkeypatch
) -> None:
    at = open_page(published, page, monkeypatch, **query)
    no_errors(at)
    said = [n for n in notices(at) if named in n]
    assert said and instead in said[0], notices(at)


def test_reversed_dates_show_the_range_the_right_way_round(published: Path, monkeypatch) -> None:
    at = open_page(published, "views/stores.py", monkeypatch, dates=["2025-03-09", "2025-03-03"])
    series = next(f for f in chart_data(at) if "period_local" in f.columns)
    assert series.period_local.min() == pd.Timestamp("2025-03-03")
    assert series.period_local.max() == pd.Timestamp("2025-03-09")


def test_a_good_link_gets_no_notice(published: Path, monkeypatch) -> None:
    at = open_page(
        published, "views/stores.py", monkeypatch, stores="London", res="Weekly", measure="Raw"
    )
    no_errors(at)
    assert notices(at) == []


def test_weekly_resolution_sums_iso_weeks_and_marks_partial_ones(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch
) -> None:
    at = open_page(
        published,
        "views/stores.py",
        monkeypatch,
        stores="London",
        res="Weekly",
        dates=["2025-02-12", "2025-04-07"],  # a Wednesday to the latest (partial) Monday
    )
    no_errors(at)
    weeks = next(f for f in chart_data(at) if "is_partial" in f.columns)
    daily = marts["fct_store_traffic_daily"]
    london = daily[
        (daily.store_id == "london")
        & (daily.local_date >= pd.Timestamp("2025-02-12"))
        & (daily.local_date <= pd.Timestamp("2025-04-07"))
    ].assign(week=lambda d: pd.to_datetime(d.local_date).dt.to_period("W-SUN").dt.start_time)
    sums = london.groupby("week").visits_clean.agg(["sum", "count"])
    assert list(weeks.period_local) == list(sums.index)
    for row in weeks.itertuples():
        assert row.visits_clean == _half_up(sums.loc[row.period_local, "sum"])
        assert row.is_partial == (sums.loc[row.period_local, "count"] < 7)
    assert weeks.is_partial.iloc[0] and weeks.is_partial.iloc[-1]
    assert not weeks.is_partial.iloc[1:-1].any()
    # The summary's mean counts complete weeks only, and says so.
    summary = at.dataframe[0].value.set_index("store")
    complete = sums[sums["count"] == 7]["sum"]
    assert summary.loc["London", "n_counted"] == len(complete)
    assert summary.loc["London", "mean"] == _half_up(complete.apply(_half_up).mean())
    assert any("complete weeks only" in c.value for c in at.caption)


def test_averages_and_the_busiest_day_count_open_days_only(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch
) -> None:
    at = open_page(published, "views/stores.py", monkeypatch, stores="London")
    no_errors(at)
    summary = at.dataframe[0].value.set_index("store")
    daily = marts["fct_store_traffic_daily"]
    end = daily.local_date.max()
    shown = daily[(daily.store_id == "london") & (daily.local_date >= end - pd.Timedelta(days=55))]
    open_days = shown[shown.n_open_hours > 0]
    assert len(open_days) < len(shown)  # Sundays are closed
    assert summary.loc["London", "n_counted"] == len(open_days)
    assert summary.loc["London", "mean"] == _half_up(open_days.visits_clean.apply(_half_up).mean())
    assert summary.loc["London", "mean"] > _half_up(shown.visits_clean.mean())
    assert any("open days only" in c.value for c in at.caption)
    # The busiest day is an open one, and the same figure as on the chart.
    busiest = open_days.loc[open_days.visits_clean.idxmax()]
    assert summary.loc["London", "busiest"] == pd.Timestamp(busiest.local_date).strftime(
        "%a %d %b %Y"
    )


def test_weekday_trends_tick_on_the_weekday_state_the_change_and_start_at_zero(
    published: Path, marts: dict[str, pd.DataFrame], monkeypatch
) -> None:
    at = open_page(published, "views/trends.py", monkeypatch, weekday="Tuesdays")
    no_errors(at)
    specs = chart_specs(at)
    trend = next(s for s in specs if "facet" in s)["spec"]
    x = trend["layer"][0]["encoding"]["x"]
    ticks = [pd.Timestamp(v) for v in x["axis"]["values"]]
    assert ticks and {t.isoweekday() for t in ticks} == {2}
    assert all(
        layer["encoding"]["y"].get("scale", {}).get("zero", True) for layer in trend["layer"]
    )
    # "London: +x.y % over n weeks": the 4-week average's change from the first to the last
    # Tuesday shown.
    daily = marts["fct_store_traffic_daily"]
    end = daily.local_date.max()
    tuesdays = daily[
        (daily.store_id == "london")
        & (daily.isodow == 2)
        & (daily.local_date >= end - pd.Timedelta(days=55))
    ].sort_values("local_date")
    first, last = tuesdays.visits_clean_ma_4w.iloc[[0, -1]].apply(_half_up)
    weeks = round((tuesdays.local_date.iloc[-1] - tuesdays.local_date.iloc[0]).days / 7)
    stated = next(m.value for m in at.markdown if m.value.startswith("**London**"))
    assert stated == f"**London**: {100 * (last - first) / first:+.1f} % over {weeks} weeks"


def test_legends_list_what_is_drawn_and_status_colours_are_not_series_colours(
    published: Path, monkeypatch
) -> None:
    assert not set(charts.STATUS_COLORS.values()) & set(charts.PALETTE)
    assert not set(charts.SEVERITY_COLORS.values()) & set(charts.PALETTE)
    at = open_page(published, "views/stores.py", monkeypatch, stores="Madrid")
    no_errors(at)
    for spec in chart_specs(at):
        for layer in spec.get("layer", [spec]):
            colour = layer.get("encoding", {}).get("color", {})
            if colour.get("field") == "store":
                assert colour["scale"]["domain"] == ["Madrid"]
    at = open_page(published, "views/overview.py", monkeypatch, stores="Madrid")
    no_errors(at)
    for spec in chart_specs(at):
        for layer in spec.get("layer", [spec]):
            colour = layer.get("encoding", {}).get("color", {})
            if colour.get("field") == "store" and "scale" in colour:
                assert colour["scale"]["domain"] == ["Madrid"], colour


def test_line_charts_give_the_tooltip_of_the_nearest_point(published: Path, monkeypatch) -> None:
    at = open_page(published, "views/stores.py", monkeypatch)
    spec = next(s for s in chart_specs(at) if "layer" in s)
    nearest = [p for p in spec.get("params", []) if p.get("select", {}).get("nearest")]
    nearest += [
        p
        for layer in spec["layer"]
        for p in layer.get("params", [])
        if p.get("select", {}).get("nearest")
    ]
    assert nearest, spec.get("params")


def test_alerts_speak_store_time_names_and_units(small_warehouse, tmp_path: Path, monkeypatch):
    """On a snapshot with open alerts (the incident one is built in test_browser; here the
    small warehouse's own episodes): no internal name, times local, values with units."""
    from footfall.publish import publish

    serving = tmp_path / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path)
    at = open_page(serving, "views/alerts.py", monkeypatch, dates=["2024-10-07", "2025-04-07"])
    no_errors(at)
    tables = [d.value for d in at.dataframe]
    history = next(t for t in tables if "what" in t.columns and len(t))
    text = " ".join(history.astype(str).stack())
    assert not re.search(r"\b(london|madrid)/\d", text), text[:400]
    assert " UTC" not in text
    assert all(re.search(r"(open hours|%|visits)", m) for m in history["measured"])
    with small_warehouse.connect() as con:
        alerts = con.execute(
            "select a.alert_id, a.opened_at_utc, s.timezone from fct_alerts a "
            "join dim_stores s using (store_id)"
        ).df()
    row = alerts.iloc[0]
    local = (
        pd.Timestamp(row.opened_at_utc)
        .tz_localize("UTC")
        .tz_convert(row.timezone)
        .tz_localize(None)
    )
    at = open_page(serving, "views/alerts.py", monkeypatch, alert=row.alert_id)
    no_errors(at)
    assert f"{local:%a %d %b %Y, %H:%M}" in " ".join(m.value for m in at.markdown)
    around = next(f for f in chart_data(at) if "series" in f.columns)
    assert set(around.series) == {"raw count", "baseline (expected)"}


def test_a_100_store_chain_defaults_to_its_biggest_movers(fleet100: Path, monkeypatch) -> None:
    at = open_page(fleet100, "views/overview.py", monkeypatch)
    no_errors(at)
    chosen = at.multiselect(key="stores").value
    assert len(chosen) == queries.LARGE_CHAIN
    cat = queries.catalog(functools.partial(snapshot.read, fleet100))
    moves = cat.stores.set_index("store_id")["last_week_pct"].abs()
    assert moves[chosen].min() >= moves.drop(chosen).max()
    # The picker searches by name, city and country; the table groups by country and city.
    labels = at.multiselect(key="stores").options
    assert len(labels) == 100 and all(" · " in label for label in labels)
    by_store = next(d.value for d in at.dataframe if "store" in d.value.columns)
    assert list(by_store.columns[:3]) == ["country", "city", "store"]
    assert by_store[["country", "city", "store"]].equals(
        by_store[["country", "city", "store"]].sort_values(["country", "city", "store"])
    )
    assert any("country" in d.value.columns and "n_stores" in d.value.columns for d in at.dataframe)


def test_the_alert_filter_follows_a_refreshed_snapshot(
    published: Path, tmp_path: Path, monkeypatch
) -> None:
    """A rule filter narrowed on an open page does not hide the episodes of a rule that a
    newly published snapshot brings: the filter starts again from every rule there is."""
    serving = tmp_path / "serving.duckdb"
    shutil.copy2(published, serving)
    at = open_page(serving, "views/alerts.py", monkeypatch, dates=["2024-10-07", "2025-04-07"])
    no_errors(at)
    rules = at.multiselect[0]
    assert rules.value == ["silent_sensor"]
    rules.set_value([])
    rerun(at)
    assert any("Choose at least one rule" in i.value for i in at.info)
    # A new snapshot, with an episode of another rule.
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy2(serving, fresh)
    with duckdb.connect(str(fresh)) as con:
        con.execute(
            "insert into fct_alerts by name select 'new-episode' as alert_id, "
            "'store_traffic_drop' as rule, 'critical' as severity, 'london' as store_id, "
            "null::integer as sensor_id, timestamp '2025-04-05 00:00' as opened_at_utc, "
            "timestamp '2025-04-06 00:00' as last_seen_utc, null::timestamp as resolved_at_utc, "
            "true as is_open, 40.0 as measured_value, 50.0 as threshold, 'm' as message, "
            "1 as n_periods"
        )
    os.replace(fresh, serving)
    rerun(at)
    no_errors(at)
    assert set(at.multiselect[0].value) == {"silent_sensor", "store_traffic_drop"}
    history = next(d.value for d in at.dataframe if "what" in d.value.columns and len(d.value) > 1)
    assert "Store traffic drop" in set(history["rule_label"])
