"""Sensor explorer: traffic of sensors of one or several stores, daily or hourly."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui


def main() -> None:
    cat, q = context.catalog(), context.db()
    labels = cat.sensor_labels()
    st.title("Sensors")
    remembered = st.session_state.get("stores") or cat.store_ids
    chosen = controls.sensors(cat, default_store=remembered[0])
    start, end = controls.dates(cat)
    resolution = controls.resolution()
    measure = controls.measure()
    ui.require(chosen, "sensor")

    hourly = resolution == "hourly"
    sel = page_data.default_selection(
        cat, sensors=tuple(chosen), start=start, end=end, resolution=resolution, measure=measure
    )
    start, cut = page_data.hourly_start(sel)
    if cut:
        ui.hourly_cut_notice(start, end)
    column = queries.MEASURES[measure]
    unit = "hour" if hourly else "day"
    st.caption(
        f"{measure.capitalize()} visits per {unit} and sensor, store-local time, "
        f"{start:%d %b %Y} to {end:%d %b %Y}."
    )
    df = page_data.sensors(q, cat, sel)["series"]
    if df.empty:
        st.info("No readings in this range for these sensors.", icon=":material/info:")
        st.stop()
    df["sensor"] = (df["store_id"] + ":" + df["sensor_id"].astype(str)).map(labels)
    df = charts.with_when(df, hourly)
    order = [labels[k] for k in chosen if k in labels]
    tooltip = [
        alt.Tooltip("sensor:N"),
        alt.Tooltip("when:N", title="local time" if hourly else "local date"),
        alt.Tooltip("visits_clean:Q", title="clean visits", format=",.0f"),
        alt.Tooltip("visits_raw:Q", title="raw visits", format=",.0f"),
    ]
    if hourly:
        tooltip += [alt.Tooltip("status:N"), alt.Tooltip("visits_expected:Q", format=",.0f")]
    else:
        tooltip += [alt.Tooltip("data_quality_pct:Q", title="data quality %", format=".1f")]
    chart = charts.series_lines(
        df,
        y=column,
        y_title=f"{measure} visits per {unit}",
        color="sensor",
        color_title="sensor",
        scale=charts.color_scale(order),
        hourly=hourly,
        tooltip=tooltip,
    )
    if hourly:
        marks = df.assign(**{column: df[column].fillna(0)})
        chart = alt.layer(chart, charts.status_points(marks, y=column))
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
                "visits_raw",
                "visits_clean",
                "data_quality_pct",
                *queries.HOUR_COUNTS,
            ]
        ]
    shown = shown.rename(columns={"period_local": "local_time" if hourly else "local_date"})
    with st.expander(f"The data ({len(shown):,} rows)"):
        ui.table(shown, height=300)
    ui.download(shown, f"sensors_{resolution}_{start}_{end}")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)
        st.markdown(explain.QUALITY)


main()
