"""Chain overview: traffic today and this week, week over week by store, the trend since opening."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, context, controls, explain, queries, ui


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Chain overview")
    chosen = controls.stores(cat)
    measure = controls.measure()
    ui.require(chosen, "store")

    kpis = queries.overview_kpis(q, cat, chosen, measure)
    kpis["store"] = kpis["store_id"].map(names)
    as_of = pd.Timestamp(kpis["as_of"].max())
    last_weekday = (as_of - pd.Timedelta(days=7)).strftime("%A")
    st.caption(
        f"{measure.capitalize()} visits, store-local time · data up to {as_of:%a %d %b %Y} "
        f"{as_of:%H}:59 · comparisons with the same span one week earlier."
    )

    total = kpis[["today", "today_last_week", "this_week", "last_week"]].sum(min_count=1)
    n_ok, n_open = kpis["n_ok_hours_this_week"].sum(), kpis["n_open_hours_this_week"].sum()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        f"Visits today ({as_of:%a %d %b})",
        f"{total['today']:,.0f}",
        delta=ui.signed_pct(ui.pct_change(total["today"], total["today_last_week"])),
        help=f"So far today, compared with last {last_weekday} up to the same hour.",
        border=True,
    )
    c2.metric(
        "Visits this week",
        f"{total['this_week']:,.0f}",
        delta=ui.signed_pct(ui.pct_change(total["this_week"], total["last_week"])),
        help="Since Monday, compared with last week up to the same day and hour.",
        border=True,
    )
    c3.metric(
        "Same span last week",
        f"{total['last_week']:,.0f}",
        help="Last week from Monday to the same day and hour as now.",
        border=True,
    )
    c4.metric(
        "Data quality this week",
        f"{100 * n_ok / n_open:.1f} %" if n_open else "no open hours",
        help=explain.QUALITY,
        border=True,
    )

    by_store = kpis.assign(
        today_wow_pct=[
            ui.pct_change(a, b) for a, b in zip(kpis.today, kpis.today_last_week, strict=True)
        ],
        wow_pct=[ui.pct_change(a, b) for a, b in zip(kpis.this_week, kpis.last_week, strict=True)],
        data_quality_pct=100 * kpis.n_ok_hours_this_week / kpis.n_open_hours_this_week,
    )
    table = by_store[
        [
            "store",
            "today",
            "today_last_week",
            "today_wow_pct",
            "this_week",
            "last_week",
            "wow_pct",
            "data_quality_pct",
        ]
    ].astype({"today_wow_pct": "float64", "wow_pct": "float64"})
    scale = charts.color_scale(cat.stores["store_name"])

    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader("Week over week by store")
        st.altair_chart(charts.wow_bars(table, scale), width="stretch")
    with right:
        st.subheader("By store")
        ui.table(
            table,
            hide_index=True,
            column_config={
                "store": "Store",
                "today": st.column_config.NumberColumn("Today", format="localized"),
                "today_last_week": st.column_config.NumberColumn(
                    "Same time last week", format="localized"
                ),
                "today_wow_pct": st.column_config.NumberColumn(
                    "Today vs last week", format="%+.1f %%"
                ),
                "this_week": st.column_config.NumberColumn("This week", format="localized"),
                "last_week": st.column_config.NumberColumn(
                    "Same span last week", format="localized"
                ),
                "wow_pct": st.column_config.NumberColumn("Week vs last week", format="%+.1f %%"),
                "data_quality_pct": st.column_config.ProgressColumn(
                    "Data quality", format="%.1f %%", min_value=0, max_value=100
                ),
            },
        )
        ui.download(table, "overview_by_store")

    st.subheader("Trend since opening")
    weekly = queries.weekly_trend(q, chosen, measure)
    weekly["store"] = weekly["store_id"].map(names)
    weekly["week"] = pd.to_datetime(weekly["week_start"]).dt.strftime("%d %b %Y")
    weekly["week_start"] = pd.to_datetime(weekly["week_start"])
    st.altair_chart(
        charts.weekly_trend(weekly, scale, f"{measure} visits per week"), width="stretch"
    )
    st.caption(
        "Visits per complete week (Monday to Sunday), since each store opened. Click a store "
        "in the legend to highlight it; drag to pan, scroll to zoom."
    )
    ui.download(weekly[["store", "week_start", "visits"]], "weekly_trend")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)


main()
