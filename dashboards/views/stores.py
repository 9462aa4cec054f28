"""Store explorer: traffic of one or several stores, daily or hourly, raw or clean."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui


def summary(df: pd.DataFrame, column: str, hourly: bool) -> pd.DataFrame:
    """Per store over the shown range: total, mean per period, the busiest period, quality."""
    grouped = df.groupby("store", sort=False)
    busiest = df.loc[df[column].fillna(-1).groupby(df["store"], sort=False).idxmax()]
    out = pd.DataFrame(
        {
            "total": grouped[column].sum().round(),
            "mean": grouped[column].mean().round(),
            "busiest": busiest.set_index("store")["when"],
            "peak": grouped[column].max().round(),
            "data_quality_pct": 100
            * grouped["n_ok_hours"].sum()
            / grouped["n_open_sensor_hours"].sum().replace(0, float("nan")),
        }
    ).reset_index()
    return out.rename(columns={"mean": f"mean per {'hour' if hourly else 'day'}"})


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
    sel = page_data.default_selection(
        cat, stores=tuple(chosen), start=start, end=end, resolution=resolution, measure=measure
    )
    start, cut = page_data.hourly_start(sel)
    if cut:
        ui.hourly_cut_notice(start, end)
    column = queries.MEASURES[measure]
    unit = "hour" if hourly else "day"
    st.caption(
        f"{measure.capitalize()} visits per {unit}, store-local time, {start:%d %b %Y} to "
        f"{end:%d %b %Y}."
    )

    df = page_data.stores(q, cat, sel)["series"]
    if df.empty:
        st.info("No traffic in this range for these stores.", icon=":material/info:")
        st.stop()
    df["store"] = df["store_id"].map(names)
    df = charts.with_when(df, hourly)
    chart = charts.series_lines(
        df,
        y=column,
        y_title=f"{measure} visits per {unit}",
        color="store",
        color_title="store",
        scale=charts.color_scale(cat.stores["store_name"]),
        hourly=hourly,
        tooltip=[
            alt.Tooltip("store:N"),
            alt.Tooltip("when:N", title="local time" if hourly else "local date"),
            alt.Tooltip("visits_clean:Q", title="clean visits", format=",.0f"),
            alt.Tooltip("visits_raw:Q", title="raw visits", format=",.0f"),
            alt.Tooltip("data_quality_pct:Q", title="data quality %", format=".1f"),
        ],
    )
    st.altair_chart(chart, width="stretch")

    st.subheader("Summary")
    ui.table(
        summary(df, column, hourly),
        column_config={
            "store": "Store",
            "total": st.column_config.NumberColumn(f"Total {measure} visits", format="localized"),
            f"mean per {unit}": st.column_config.NumberColumn(
                f"Mean per {unit}", format="localized"
            ),
            "busiest": f"Busiest {unit}",
            "peak": st.column_config.NumberColumn("Visits then", format="localized"),
            "data_quality_pct": st.column_config.ProgressColumn(
                "Data quality", format="%.1f %%", min_value=0, max_value=100, help=explain.QUALITY
            ),
        },
    )
    shown = df[
        [
            "store",
            "period_local",
            "visits_raw",
            "visits_clean",
            "data_quality_pct",
            *queries.HOUR_COUNTS,
        ]
    ].rename(columns={"period_local": "local_time" if hourly else "local_date"})
    with st.expander(f"The data ({len(shown):,} rows)"):
        ui.table(shown, height=300)
    ui.download(shown, f"stores_{resolution}_{start}_{end}")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)


main()
