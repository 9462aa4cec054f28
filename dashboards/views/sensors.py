"""Sensor explorer: traffic of sensors of one or several stores, daily or hourly."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui
from dashboards.series import (
    AVERAGED,
    UNITS,
    prepare,
    series_tooltip,
    summary,
    summary_config,
)


def main() -> None:
    cat, q = context.catalog(), context.db()
    labels = cat.sensor_labels()
    st.title("Sensors")
    remembered = st.session_state.get("stores") or page_data.default_stores(cat)
    chosen = controls.sensors(cat, default_store=page_data.largest_store(cat, remembered))
    start, end = controls.dates(cat)
    resolution = controls.resolution()
    measure = controls.measure()
    ui.require(chosen, "sensor")

    hourly = resolution == "hourly"
    weekly = resolution == "weekly"
    sel = page_data.default_selection(
        cat, sensors=tuple(chosen), start=start, end=end, resolution=resolution, measure=measure
    )
    start, cut = page_data.hourly_start(sel)
    if cut:
        ui.hourly_cut_notice(start, end)
    column = queries.MEASURES[measure]
    unit = UNITS[resolution]
    st.caption(
        f"{measure.capitalize()} visits per {unit} and sensor, store-local time, "
        f"{start:%d %b %Y} to {end:%d %b %Y}."
        + (
            " Weeks are ISO weeks (Monday to Sunday); a hollow dot marks a partial week."
            if weekly
            else ""
        )
    )
    df = page_data.sensors(q, cat, sel)["series"]
    if df.empty:
        st.info("No readings in this range for these sensors.", icon=":material/info:")
        st.stop()
    df["sensor"] = (df["store_id"] + ":" + df["sensor_id"].astype(str)).map(labels)
    df = prepare(df, resolution)
    order = [labels[k] for k in chosen if k in labels]
    tooltip = series_tooltip("sensor", resolution)
    if hourly:
        tooltip += [
            alt.Tooltip("status:N", title="hour status"),
            alt.Tooltip("visits_expected:Q", title="expected visits", format=",.0f"),
        ]
    else:
        tooltip += [alt.Tooltip("data_quality_pct:Q", title="data quality %", format=".1f")]
    marks = df.assign(**{column: df[column].fillna(0)}) if hourly else None
    chart = charts.series_lines(
        df,
        y=column,
        y_title=f"{measure} visits per {unit}",
        color="sensor",
        color_title="sensor",
        scale=charts.color_scale(order),
        hourly=hourly,
        weekly=weekly,
        tooltip=tooltip,
        extra=[charts.status_points(marks, y=column)] if hourly else [],
    )
    if hourly:
        st.altair_chart(chart, width="stretch")
        st.caption(
            "Points mark the open hours whose reading was not used as is: in clean visits "
            "they hold the expected value."
        )
        shown = df[
            ["sensor", "period_local", "status", "visits_raw", "visits_expected", "visits_clean"]
        ]
    else:
        st.altair_chart(chart, width="stretch")
        shown = df[
            [
                "sensor",
                "period_local",
                *(["n_days", "is_partial"] if weekly else []),
                "visits_raw",
                "visits_clean",
                "data_quality_pct",
                *queries.HOUR_COUNTS,
            ]
        ]
    st.subheader("Summary")
    st.caption(
        f"Totals count every {unit}; the mean and the busiest {unit} count "
        f"{AVERAGED[resolution]}s only (closed hours, closed days and partial weeks are left out)."
    )
    if hourly:
        df["n_ok_hours"] = (df["status"] == "ok") & df["is_open_hour"]
        df["n_open_sensor_hours"] = df["is_open_hour"]
    ui.table(
        summary(df, column, resolution, by="sensor"),
        column_config=summary_config(measure, resolution),
    )
    period = {"hourly": "local_time", "daily": "local_date", "weekly": "week_start_local"}
    shown = shown.rename(columns={"period_local": period[resolution]})
    with st.expander(f"The data ({len(shown):,} rows)"):
        ui.table(shown, height=300)
    ui.download(shown, f"sensors_{resolution}_{start}_{end}")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)
        st.markdown(explain.QUALITY)


main()
