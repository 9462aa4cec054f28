"""Data quality: first the owner's view (which doors to fix, how much traffic was estimated),
then where the bad hours fall, then the engineering detail (freshness, dbt tests, load runs)."""

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
# A door needs fixing when it is silent now, has an open alert, or when less than this share
# of its open hours in the range was ok.
FIX_BELOW_QUALITY_PCT = 80.0
TEST_STATUS = {
    "pass": "passed",
    "success": "passed",
    "warn": "warning",
    "fail": "failed",
    "error": "error",
    "runtime error": "error",
    "skipped": "skipped",
}
TEST_KINDS = {"data": "data test", "unit": "unit test"}


def doors_to_fix(
    by_sensor: pd.DataFrame, silent: pd.DataFrame, open_alerts: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per door that needs fixing, with every reason, worst first."""
    reasons: dict[tuple[str, int], list[str]] = {}
    rank: dict[tuple[str, int], float] = {}
    for row in silent.itertuples():
        key = (row.store_id, int(row.sensor_id))
        since = pd.Timestamp(row.silent_since_local)
        reasons.setdefault(key, []).append(
            f"silent for {row.n_silent_open_hours} open hours (since {since:%a %d %b %H:%M})"
        )
        rank[key] = rank.get(key, 0) + 1000 + row.n_silent_open_hours
    if open_alerts is not None:
        for row in open_alerts[open_alerts["sensor_id"].notna()].itertuples():
            key = (row.store_id, int(row.sensor_id))
            if row.rule == "silent_sensor" and key in reasons:
                continue  # said above
            reasons.setdefault(key, []).append(f"{row.rule_label.lower()}: {row.measured}")
            rank[key] = rank.get(key, 0) + (500 if row.severity == "critical" else 100)
    for row in by_sensor.itertuples():
        key = (row.store_id, int(row.sensor_id))
        if pd.notna(row.data_quality_pct) and row.data_quality_pct < FIX_BELOW_QUALITY_PCT:
            reasons.setdefault(key, []).append(
                f"only {row.data_quality_pct:.1f} % of its open hours ok"
            )
            rank[key] = rank.get(key, 0) + (100 - row.data_quality_pct)
    out = pd.DataFrame(
        [(s, i, "; ".join(r), rank[(s, i)]) for (s, i), r in reasons.items()],
        columns=["store_id", "sensor_id", "why", "rank"],
    )
    return out.sort_values("rank", ascending=False, ignore_index=True)


def owner_view(cat: queries.Catalog, data: dict[str, pd.DataFrame]) -> None:
    by_sensor = data["by_sensor"]
    labels = cat.sensor_labels()
    names = cat.store_names()
    fix = doors_to_fix(by_sensor, data["silent"], data.get("open"))
    total = ui.whole(by_sensor["visits_clean"].sum())
    estimated = ui.whole(by_sensor["visits_estimated"].sum())
    n_open = by_sensor["n_open_sensor_hours"].sum()
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Doors to fix",
        f"{len(fix):,}",
        help="Doors silent now, with an open alert, or with less than "
        f"{FIX_BELOW_QUALITY_PCT:.0f} % of their open hours ok over the dates.",
        border=True,
    )
    c2.metric(
        "Traffic estimated",
        f"{100 * estimated / total:.1f} %" if total else "no traffic",
        delta=f"{estimated:,.0f} of {total:,.0f} clean visits",
        delta_color="off",
        delta_arrow="off",
        help="Clean visits put in by the cleaning (the expected value of failed, anomalous and "
        "missing open hours) instead of counted by a door.",
        border=True,
    )
    c3.metric(
        "Open hours counted as is",
        f"{100 * by_sensor['n_ok_hours'].sum() / n_open:.1f} %" if n_open else "no open hours",
        help=explain.QUALITY,
        border=True,
    )
    if fix.empty:
        st.success("No door needs fixing in the chosen stores.", icon=":material/check_circle:")
    else:
        st.markdown("**Doors to fix, worst first**")
        fix["door"] = (fix["store_id"] + ":" + fix["sensor_id"].astype(str)).map(labels)
        ui.table(
            fix[["door", "why"]],
            height=min(320, 38 + 35 * len(fix)),
            column_config={
                "door": st.column_config.TextColumn("Door", width="medium"),
                "why": st.column_config.TextColumn("Why", width="large"),
            },
        )
    per_store = by_sensor.groupby("store_id", as_index=False)[
        ["visits_clean", "visits_estimated"]
    ].sum()
    per_store["estimated_pct"] = (
        100 * per_store["visits_estimated"] / per_store["visits_clean"].where(lambda v: v > 0)
    )
    per_store[["visits_clean", "visits_estimated"]] = per_store[
        ["visits_clean", "visits_estimated"]
    ].apply(ui.whole)
    per_store["store"] = per_store["store_id"].map(names)
    per_store = per_store.sort_values("estimated_pct", ascending=False)
    st.markdown("**How much traffic was estimated, per store**")
    ui.table(
        per_store[["store", "visits_clean", "visits_estimated", "estimated_pct"]],
        height=min(320, 38 + 35 * len(per_store)),
        column_config={
            "store": "Store",
            "visits_clean": st.column_config.NumberColumn("Clean visits", format="localized"),
            "visits_estimated": st.column_config.NumberColumn(
                "Of which estimated", format="localized"
            ),
            "estimated_pct": st.column_config.NumberColumn("Estimated", format="%.1f %%"),
        },
    )


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
    st.markdown("**dbt tests of the last build**")
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
        col.metric(label, f"{int(sum(counts.get(s, 0) for s in statuses)):,}", border=True)
    problems = tests[~tests["status"].isin(["pass", "success"])]
    only = st.toggle(
        "Only tests that did not pass", value=not problems.empty, key="dq_problems_only"
    )
    shown = (problems if only else tests).assign(
        status=lambda t: t["status"].map(TEST_STATUS).fillna(t["status"]),
        test_type=lambda t: t["test_type"].map(TEST_KINDS).fillna(t["test_type"]),
    )
    if shown.empty:
        st.caption(f"Every one of the {len(tests):,} tests passed.")
        return
    ui.table(
        shown,
        height=min(400, 38 + 35 * len(shown)),
        column_config={
            "status": "Result",
            "test_name": st.column_config.TextColumn("Test", width="large"),
            "test_type": "Kind",
            "model": "Model",
            "column_name": "Column",
            "failures": st.column_config.NumberColumn("Failing rows", format="localized"),
            "message": st.column_config.TextColumn("Message", width="large"),
            "execution_time_s": st.column_config.NumberColumn("Seconds", format="%.2f"),
        },
    )
    ui.download(tests, "dbt_tests")


LOAD_RUN_COLUMNS = {
    "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="D MMM YYYY, HH:mm"),
    "status": "Result",
    "window_start_utc": st.column_config.DatetimeColumn(
        "Read from (UTC)", format="D MMM YYYY, HH:mm"
    ),
    "window_end_utc": st.column_config.DatetimeColumn("Read to (UTC)", format="D MMM YYYY, HH:mm"),
    "n_rows": st.column_config.NumberColumn("Readings", format="localized"),
    "n_new_rows": st.column_config.NumberColumn("New", format="localized"),
    "n_rejects": st.column_config.NumberColumn("Rejected", format="localized"),
    "duration_s": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "error": "Error",
    "load_id": "Load",
}


def load_runs_section(runs: pd.DataFrame) -> None:
    st.markdown("**Recent loads**")
    if runs.empty:
        st.info("No load runs recorded in the warehouse.", icon=":material/info:")
        return
    ui.table(
        runs[list(LOAD_RUN_COLUMNS)],
        height=min(300, 38 + 35 * len(runs)),
        column_config=LOAD_RUN_COLUMNS,
    )
    ui.download(runs, "load_runs")


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Data quality")
    chosen = controls.stores(cat)
    start, end = controls.dates(cat)
    ui.require(chosen, "store")
    sel = page_data.default_selection(cat, stores=tuple(chosen), start=start, end=end)
    store = st.sidebar.selectbox(
        "Sensors of",
        chosen,
        index=chosen.index(page_data.largest_store(cat, chosen)),
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
    st.caption(
        f"{controls.describe_stores(cat, chosen)}, {start:%d %b %Y} to {end:%d %b %Y} "
        "(store-local dates)."
    )

    st.subheader("What to fix")
    owner_view(cat, data)

    st.subheader("Failed, anomalous and missing hours")
    st.caption(
        f"Sensor-hours per {grain} of the chosen stores. Failed and missing hours count at any "
        "hour, open or closed."
    )
    over_time = data["over_time"]
    over_time["store"] = over_time["store_id"].map(names)
    over_time = charts.with_when(over_time, hourly=False)
    scale = charts.color_scale(cat.stores["store_name"], shown=over_time["store"].unique())
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

    st.subheader("By door")
    grid = data.get("grid")
    if grid is not None and not grid.empty:
        st.caption(f"Bad open and closed hours per {grain} and door of {names.get(store, store)}.")
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
    by_sensor["estimated_pct"] = (
        100 * by_sensor["visits_estimated"] / by_sensor["visits_clean"].where(lambda v: v > 0)
    )
    table = by_sensor[["sensor", *queries.HOUR_COUNTS, "estimated_pct", "data_quality_pct"]]
    st.caption(
        "Every door of the chosen stores over the dates, open hours only, worst first; click "
        "a column header to sort."
    )
    ui.table(
        table,
        height=min(400, 38 + 35 * len(table)),
        column_config={
            "sensor": "Door",
            "n_ok_hours": st.column_config.NumberColumn("Ok hours", format="localized"),
            "n_failed_hours": st.column_config.NumberColumn("Failed", format="localized"),
            "n_anomalous_hours": st.column_config.NumberColumn("Anomalous", format="localized"),
            "n_missing_hours": st.column_config.NumberColumn("Missing", format="localized"),
            "estimated_pct": st.column_config.NumberColumn("Traffic estimated", format="%.1f %%"),
            "data_quality_pct": st.column_config.ProgressColumn(
                "Data quality", format="%.1f %%", min_value=0, max_value=100
            ),
        },
    )
    ui.download(table, f"quality_by_sensor_{start}_{end}")

    st.divider()
    st.subheader("Engineering detail")
    st.caption(
        "For whoever runs the pipeline: how fresh the snapshot is, the tests of the last dbt "
        "build, the recent loads."
    )
    freshness(cat)
    tests_section(data["tests"])
    load_runs_section(data["load_runs"])


main()
