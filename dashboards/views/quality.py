"""Data quality: failed, anomalous and missing hours, the data's freshness, the dbt tests."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui

GRID_COLUMNS = [
    "sensor",
    "period_local",
    "n_failed_hours",
    "n_anomalous_hours",
    "n_missing_hours",
    "n_bad_hours",
]
TEST_STATUS_ICONS = {"pass": "✅", "success": "✅", "warn": "⚠️", "fail": "❌", "error": "❌"}


def freshness(cat: queries.Catalog) -> None:
    info = cat.info
    latest = cat.stores["last_hour_start_utc"].max()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Latest data",
        ui.age(latest + pd.Timedelta(hours=1)),
        help="The end of the latest hour in the marts (UTC "
        f"{ui.when(latest + pd.Timedelta(hours=1))}).",
        border=True,
    )
    c2.metric(
        "Last load",
        ui.age(info.get("last_load_ended_at_utc")),
        help="The last successful `make load` ended at "
        f"{ui.when(info.get('last_load_ended_at_utc'))} UTC "
        f"(load {info.get('last_load_id') or 'unknown'}).",
        border=True,
    )
    c3.metric(
        "Last build",
        ui.age(info.get("build_generated_at_utc")),
        help=f"The dbt build behind these marts finished at "
        f"{ui.when(info.get('build_generated_at_utc'))} UTC.",
        border=True,
    )
    c4.metric(
        "Published",
        ui.age(info.get("published_at_utc")),
        help=f"This snapshot was published at {ui.when(info.get('published_at_utc'))} UTC.",
        border=True,
    )


def tests_section(tests: pd.DataFrame) -> None:
    st.subheader("dbt tests of the last build")
    if tests.empty:
        st.info(
            "This snapshot holds no dbt test results: it was published without the results of "
            "a `dbt build`. Run `make build` to build, test and publish again.",
            icon=":material/info:",
        )
        return
    counts = tests["status"].value_counts()
    cols = st.columns(4)
    for col, (label, statuses) in zip(
        cols,
        [
            ("Passed", ["pass", "success"]),
            ("Warnings", ["warn"]),
            ("Failed", ["fail"]),
            ("Errors", ["error", "runtime error", "skipped"]),
        ],
        strict=True,
    ):
        col.metric(label, int(sum(counts.get(s, 0) for s in statuses)), border=True)
    problems = tests[~tests["status"].isin(["pass", "success"])]
    only = st.toggle(
        "Only tests that did not pass", value=not problems.empty, key="dq_problems_only"
    )
    shown = problems if only else tests
    shown = shown.assign(
        status=shown["status"].map(lambda s: f"{TEST_STATUS_ICONS.get(s, '')} {s}")
    )
    ui.table(
        shown,
        column_config={
            "status": "Status",
            "test_name": "Test",
            "test_type": "Kind",
            "model": "Model",
            "column_name": "Column",
            "failures": st.column_config.NumberColumn("Failing rows", format="localized"),
            "message": "Message",
            "execution_time_s": st.column_config.NumberColumn("Seconds", format="%.2f"),
        },
    )
    ui.download(tests, "dbt_tests")


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Data quality")
    chosen = controls.stores(cat)
    start, end = controls.dates(cat)
    ui.require(chosen, "store")
    store = st.sidebar.selectbox(
        "Sensors of",
        chosen,
        format_func=lambda s: names.get(s, s),
        key="dq_store",
        help="The store whose sensors the heat map shows.",
        bind="query-params",
        persist_state="session",
    )
    sel = page_data.default_selection(
        cat, stores=tuple(chosen), start=start, end=end, quality_store=store
    )
    data = page_data.quality(q, cat, sel)
    grain = queries.quality_grain(start, end)

    st.subheader("Freshness")
    freshness(cat)

    st.subheader("Failed, anomalous and missing hours")
    st.caption(
        f"Sensor-hours per {grain} of the chosen stores, {start:%d %b %Y} to {end:%d %b %Y} "
        "(store-local dates). Failed and missing hours count at any hour, open or closed."
    )
    over_time = data["over_time"]
    over_time["store"] = over_time["store_id"].map(names)
    over_time = charts.with_when(over_time, hourly=False)
    scale = charts.color_scale(cat.stores["store_name"])
    left, right = st.columns(2, gap="large")
    with left:
        st.altair_chart(charts.bad_hours_bars(over_time, grain), width="stretch")
    with right:
        st.altair_chart(charts.quality_lines(over_time, scale), width="stretch")
    ui.download(
        over_time[["store", "period_local", *queries.HOUR_COUNTS, "data_quality_pct"]].rename(
            columns={"period_local": f"{grain}_start_local"}
        ),
        f"quality_by_{grain}_{start}_{end}",
    )
    with st.expander("What the statuses mean"):
        st.markdown(explain.QUALITY)

    st.subheader("By sensor")
    grid = data.get("grid")
    if grid is not None and not grid.empty:
        st.caption(f"Bad hours per {grain} and sensor of {names.get(store, store)}.")
        sensor_names = cat.sensors[cat.sensors.store_id == store].set_index("sensor_id")
        grid["sensor"] = grid["sensor_id"].map(sensor_names["sensor_name"])
        grid = charts.with_when(grid, hourly=False)
        st.altair_chart(charts.sensor_grid(grid, grain), width="stretch")
        ui.download(
            grid[GRID_COLUMNS].rename(columns={"period_local": f"{grain}_start_local"}),
            f"bad_hours_{store}_{start}_{end}",
        )
    by_sensor = data["by_sensor"]
    by_sensor["sensor"] = (by_sensor["store_id"] + ":" + by_sensor["sensor_id"].astype(str)).map(
        cat.sensor_labels()
    )
    table = by_sensor[["sensor", *queries.HOUR_COUNTS, "data_quality_pct"]]
    st.caption("Every sensor of the chosen stores over the dates, worst first.")
    ui.table(
        table,
        height=min(400, 38 + 35 * len(table)),
        column_config={
            "sensor": "Sensor",
            "n_ok_hours": st.column_config.NumberColumn("Ok hours", format="localized"),
            "n_failed_hours": st.column_config.NumberColumn("Failed", format="localized"),
            "n_anomalous_hours": st.column_config.NumberColumn("Anomalous", format="localized"),
            "n_missing_hours": st.column_config.NumberColumn("Missing", format="localized"),
            "data_quality_pct": st.column_config.ProgressColumn(
                "Data quality", format="%.1f %%", min_value=0, max_value=100
            ),
        },
    )
    ui.download(table, f"quality_by_sensor_{start}_{end}")

    tests_section(data["tests"])

    st.subheader("Recent loads")
    runs = data["load_runs"]
    if runs.empty:
        st.info("No load runs recorded in the warehouse.", icon=":material/info:")
    else:
        ui.table(runs, height=min(300, 38 + 35 * len(runs)))
        ui.download(runs, "load_runs")


main()
