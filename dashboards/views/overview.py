"""Chain overview: traffic today and this week, week over week by store, the trend since opening."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, context, controls, explain, page_data, ui

BY_STORE_COLUMNS = [
    "store",
    "today",
    "today_wow_pct",
    "this_week",
    "this_week_wow_pct",
    "full_week",
    "full_week_wow_pct",
    "data_quality_pct",
]


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Chain overview")
    chosen = controls.stores(cat)
    measure = controls.measure()
    ui.require(chosen, "store")

    sel = page_data.default_selection(cat, stores=tuple(chosen), measure=measure)
    data = page_data.overview(q, cat, sel)
    kpis = data["kpis"]
    kpis["store"] = kpis["store_id"].map(names)
    as_of = pd.Timestamp(kpis["as_of"].max())
    week_start = (as_of - pd.Timedelta(days=as_of.weekday())).normalize()
    full_week = (
        f"{week_start - pd.Timedelta(days=7):%d %b} to {week_start - pd.Timedelta(days=1):%d %b}"
    )
    st.caption(
        f"{measure.capitalize()} visits, store-local time · data up to {as_of:%a %d %b %Y} "
        f"{as_of:%H}:59 · each figure is compared with the same span one week earlier."
    )

    spans = {
        "today": "today_last_week",
        "this_week": "this_week_last_week",
        "full_week": "full_week_before",
    }
    total = kpis[[*spans, *spans.values(), "n_ok_hours_7d", "n_open_sensor_hours_7d"]].sum()
    for now_col, before_col in spans.items():
        kpis[f"{now_col}_wow_pct"] = [
            ui.pct_change(a, b) for a, b in zip(kpis[now_col], kpis[before_col], strict=True)
        ]
    kpis["data_quality_pct"] = 100 * kpis["n_ok_hours_7d"] / kpis["n_open_sensor_hours_7d"]

    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        f"Today so far ({as_of:%a %d %b})",
        f"{total['today']:,.0f}",
        delta=ui.signed_pct(ui.pct_change(total["today"], total["today_last_week"])),
        help=f"Since midnight, compared with last {as_of:%A} up to the same hour.",
        border=True,
    )
    c2.metric(
        "This week so far",
        f"{total['this_week']:,.0f}",
        delta=ui.signed_pct(ui.pct_change(total["this_week"], total["this_week_last_week"])),
        help="Since Monday, compared with last week up to the same day and hour.",
        border=True,
    )
    c3.metric(
        f"Last full week ({full_week})",
        f"{total['full_week']:,.0f}",
        delta=ui.signed_pct(ui.pct_change(total["full_week"], total["full_week_before"])),
        help="Monday to Sunday, compared with the week before.",
        border=True,
    )
    n_open = total["n_open_sensor_hours_7d"]
    c4.metric(
        "Data quality, last 7 days",
        f"{100 * total['n_ok_hours_7d'] / n_open:.1f} %" if n_open else "no open hours",
        help=explain.QUALITY,
        border=True,
    )

    pct_columns = [f"{span}_wow_pct" for span in spans]
    table = kpis[BY_STORE_COLUMNS].astype(dict.fromkeys(pct_columns, "float64"))
    table[list(spans)] = table[list(spans)].round()
    scale = charts.color_scale(cat.stores["store_name"])

    st.subheader("By store")
    pct = {"format": "%+.1f %%", "help": "Change from the same span one week earlier."}
    ui.table(
        table,
        column_config={
            "store": "Store",
            "today": st.column_config.NumberColumn("Today so far", format="localized"),
            "today_wow_pct": st.column_config.NumberColumn("vs last week", **pct),
            "this_week": st.column_config.NumberColumn("This week so far", format="localized"),
            "this_week_wow_pct": st.column_config.NumberColumn("vs last week ", **pct),
            "full_week": st.column_config.NumberColumn("Last full week", format="localized"),
            "full_week_wow_pct": st.column_config.NumberColumn("vs the week before", **pct),
            "data_quality_pct": st.column_config.ProgressColumn(
                "Data quality (7 days)", format="%.1f %%", min_value=0, max_value=100
            ),
        },
    )
    ui.download(table, "overview_by_store")

    left, right = st.columns([2, 3], gap="large")
    with left:
        st.subheader("Week over week")
        bars = table.melt(
            id_vars="store",
            value_vars=["this_week_wow_pct", "full_week_wow_pct"],
            var_name="span",
            value_name="wow_pct",
        ).dropna(subset=["wow_pct"])
        bars["span"] = bars["span"].map(
            {"this_week_wow_pct": "this week so far", "full_week_wow_pct": "last full week"}
        )
        st.altair_chart(charts.wow_bars(bars, scale), width="stretch")
        st.caption("Per store: this week so far (pale) and the last full week (solid).")
    with right:
        st.subheader("Trend since opening")
        indexed = st.toggle(
            "Compare growth: each store's first 4 full weeks = 100",
            key="index",
            bind="query-params",
            persist_state="session",
        )
        weekly = data["weekly"]
        weekly["store"] = weekly["store_id"].map(names)
        weekly["week"] = pd.to_datetime(weekly["week_start"]).dt.strftime("%d %b %Y")
        weekly["week_start"] = pd.to_datetime(weekly["week_start"])
        y_title = f"{measure} visits per week"
        if indexed:
            base = weekly.groupby("store")["visits"].transform(lambda v: v.head(4).mean())
            weekly["visits"] = 100 * weekly["visits"] / base.where(base > 0)
            y_title = "index (first 4 full weeks = 100)"
        st.altair_chart(charts.weekly_trend(weekly, scale, y_title), width="stretch")
        st.caption(
            "Complete weeks (Monday to Sunday) since each store opened. Click a store in the "
            "legend to highlight it; drag to pan, scroll to zoom."
        )
        ui.download(weekly[["store", "week_start", "visits"]], "weekly_trend")
    with st.expander("Clean and raw visits"):
        st.markdown(explain.CLEAN_VS_RAW)


main()
