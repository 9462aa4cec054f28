"""Store explorer: traffic of one or several stores, daily or hourly, raw or clean."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui
from dashboards.series import AVERAGED, UNITS, prepare, series_tooltip, summary, summary_config


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Stores")
    chosen = controls.stores(cat)
    start, end = controls.dates(cat)
    resolution = controls.resolution()
    measure = controls.measure()
    ui.require(chosen, "store")

    hourly = resolution == "hourly"
    weekly = resolution == "weekly"
    sel = page_data.default_selection(
        cat, stores=tuple(chosen), start=start, end=end, resolution=resolution, measure=measure
    )
    start, cut = page_data.hourly_start(sel)
    if cut:
        ui.hourly_cut_notice(start, end)
    column = queries.MEASURES[measure]
    unit = UNITS[resolution]
    st.caption(
        f"{measure.capitalize()} visits per {unit}, store-local time, {start:%d %b %Y} to "
        f"{end:%d %b %Y}."
        + (
            " Weeks are ISO weeks (Monday to Sunday); a hollow dot marks a partial week "
            "(cut by the dates, or still in progress)."
            if weekly
            else ""
        )
    )

    df = page_data.stores(q, cat, sel)["series"]
    if df.empty:
        st.info("No traffic in this range for these stores.", icon=":material/info:")
        st.stop()
    df["store"] = df["store_id"].map(names)
    df = prepare(df, resolution)
    chart = charts.series_lines(
        df,
        y=column,
        y_title=f"{measure} visits per {unit}",
        color="store",
        color_title="store",
        scale=charts.color_scale(cat.stores["store_name"], shown=df["store"].unique()),
        hourly=hourly,
        weekly=weekly,
        tooltip=[
            *series_tooltip("store", resolution),
            alt.Tooltip("data_quality_pct:Q", title="data quality %", format=".1f"),
        ],
    )
    st.altair_chart(chart, width="stretch")

    st.subheader("Summary")
    st.caption(
        f"Totals count every {unit}; the mean and the busiest {unit} count "
        f"{AVERAGED[resolution]}s only"
        + (
            " (closed hours and closed days are left out)."
            if not weekly
            else " (Monday to Sunday, open; partial weeks are left out)."
        )
    )
    order = [n for n in cat.stores["store_name"] if n in set(df["store"])]  # country, city
    table = summary(df, column, resolution).set_index("store").reindex(order).reset_index()
    ui.table(table, column_config=summary_config(measure, resolution))
    period = {"hourly": "local_time", "daily": "local_date", "weekly": "week_start_local"}
    extra = ["n_days", "is_partial"] if weekly else []
    shown = df[
        [
            "store",
            "period_local",
            *extra,
            "visits_raw",
            "visits_clean",
            "data_quality_pct",
            *queries.HOUR_COUNTS,
        ]
    ].rename(columns={"period_local": period[resolution]})
    with st.expander(f"The data ({len(shown):,} rows)"):
        ui.table(shown, height=300)
    ui.download(shown, f"stores_{resolution}_{start}_{end}")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)


main()
