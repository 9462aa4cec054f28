"""Weekday trends: each day against the same weekday of the weeks before."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, context, controls, explain, page_data, queries, ui


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Weekday trends")
    chosen = controls.stores(cat)
    start, end = controls.dates(cat)
    weekday = controls.weekday(cat)
    hour = controls.hour_of_day()
    ui.require(chosen, "store")

    days = f"{queries.ISO_WEEKDAYS[weekday]}s" if weekday else "every day"
    span = "the whole day" if hour is None else f"{hour:02d}:00 to {hour + 1:02d}:00"
    st.caption(
        f"Clean visits on {days}, {span} (store-local), {start:%d %b %Y} to {end:%d %b %Y}, "
        "against the same weekday of the 3 weeks before."
    )
    sel = page_data.default_selection(
        cat, stores=tuple(chosen), start=start, end=end, weekday=weekday, hour=hour
    )
    df = page_data.trends(q, cat, sel)["trends"]
    if df.empty:
        st.info("No days in this range for this choice.", icon=":material/info:")
        st.stop()
    df["store"] = df["store_id"].map(names)
    df["visits_clean"] = ui.whole(df["visits_clean"])
    df["visits_clean_ma_4w"] = ui.whole(df["visits_clean_ma_4w"])
    df = charts.with_when(df, hour is not None)
    scale = charts.color_scale(cat.stores["store_name"], shown=df["store"].unique())
    # Ticks only on the chosen weekday (the days drawn); every day: the axis's own ticks.
    ticks = charts.day_ticks(df["period_local"]) if weekday else None

    st.subheader("Visits and their 4-week same-weekday average")
    st.caption(
        "Points: clean visits of each day. Line: the 4-week same-weekday average. Each store "
        "has its own chart; every axis starts at zero. The change is that of the 4-week "
        "average from the first to the last day shown."
    )
    stores_shown = list(scale.domain)
    stated = []
    for store in stores_shown:
        change, weeks = charts.window_change(df[df["store"] == store])
        stated.append(
            f"**{store}**: {change:+.1f} % over {weeks} week{'s' if weeks != 1 else ''}"
            if change is not None
            else f"**{store}**: no change to state (too few days with an average)"
        )
    for column, lines in zip(st.columns(2), (stated[0::2], stated[1::2]), strict=True):
        for line in lines:
            column.markdown(line)
    st.altair_chart(charts.trend_with_ma(df, scale, ticks, stores_shown), width="content")

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Week over week")
        of = st.radio(
            "Change of",
            ["visits", "average"],
            format_func=lambda o: "the day's visits" if o == "visits" else "the 4-week average",
            horizontal=True,
            key="wow_of",
            bind="query-params",
            persist_state="session",
        )
        y = "visits_clean_wow_pct" if of == "visits" else "ma_4w_wow_pct"
        st.altair_chart(
            charts.pct_lines(
                df,
                y=y,
                y_title="change vs a week before (%)",
                scale=scale,
                hourly=False,
                ticks=ticks,
            ),
            width="stretch",
        )
    with right:
        st.subheader("Deviation from the average")
        st.markdown("<div style='height: 2.6rem'></div>", unsafe_allow_html=True)
        st.altair_chart(
            charts.pct_lines(
                df,
                y="deviation_from_ma_4w_pct",
                y_title="vs the 4-week average (%)",
                scale=scale,
                hourly=False,
                ticks=ticks,
            ),
            width="stretch",
        )
    st.markdown(explain.TRENDS)
    shown = df[["store", "period_local", "isodow", *queries.TREND_MEASURES]].rename(
        columns={"period_local": "local_time" if hour is not None else "local_date"}
    )
    with st.expander(f"The data ({len(shown):,} rows)"):
        ui.table(shown, height=300)
    ui.download(shown, f"weekday_trends_{start}_{end}")


main()
