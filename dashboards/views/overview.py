"""Chain overview: what needs attention now, traffic today and this week, week over week by
store, the trend since opening."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import attention, charts, context, controls, explain, page_data, queries, ui
from footfall.alerts import history

BY_STORE_COLUMNS = [
    "country",
    "city",
    "store",
    "today",
    "today_wow_pct",
    "this_week",
    "this_week_wow_pct",
    "full_week",
    "full_week_before",
    "full_week_wow_pct",
    "data_quality_pct",
]
SHOWN_ALERTS = 8


def needs_attention(q: context.Db, cat: queries.Catalog) -> None:
    """Open alerts (worst first, each a link to its detail), doors silent now, stores below
    their usual by raw counts: over the whole chain, whatever the selection."""
    st.subheader("Needs attention")
    everyone = cat.store_ids
    if history.missing_tables(q):
        st.info(
            "This snapshot has no alert marts (published before they existed): run "
            "`make build` to build and publish them.",
            icon=":material/info:",
        )
        return
    data = page_data.attention_now(q, cat)
    open_alerts, silent, low = data["open"], data["silent"], data["below"]
    n_critical = int((open_alerts["severity"] == "critical").sum())
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Open alerts",
        f"{len(open_alerts):,}",
        delta=f"{n_critical} critical" if n_critical else None,
        delta_color="inverse",
        delta_arrow="off",
        border=True,
        help="Alerts whose rule still fires on the latest data (the Alerts page explains "
        "the rules).",
    )
    c2.metric(
        "Doors silent now",
        f"{len(silent):,}",
        border=True,
        help=f"Doors whose latest {attention.SILENT_NOW_HOURS} or more open hours gave no count "
        "(failed or missing).",
    )
    c3.metric(
        "Stores below their usual",
        f"{len(low):,}",
        border=True,
        help="Stores whose latest day's raw counts, against the same-weekday baseline of the "
        f"same hours, fell under {attention.STORE_BELOW_PCT:.0f} % of what the store usually "
        "reaches (the median of its 28 days before). Raw counts: clean visits would hide a "
        "broken door, since they fill its hours with estimates.",
    )
    if open_alerts.empty and silent.empty and low.empty:
        st.success(
            f"Nothing needs attention across the {len(everyone)} stores: no open alert, every "
            "door counting, every store near its usual.",
            icon=":material/check_circle:",
        )
        return
    st.markdown("**Open alerts, worst first** (click one for its detail)")
    if open_alerts.empty:
        st.caption("None.")
    for row in open_alerts.head(SHOWN_ALERTS).itertuples():
        st.page_link(
            "views/alerts.py",
            label=f"{row.severity.capitalize()}: {row.rule_label} · {row.where} · "
            f"{row.measured} · since {pd.Timestamp(row.opened_local):%a %d %b %H:%M}",
            icon=":material/error:" if row.severity == "critical" else ":material/warning:",
            query_params={"alert": row.alert_id},
            width="stretch",
        )
    if len(open_alerts) > SHOWN_ALERTS:
        st.page_link(
            "views/alerts.py",
            label=f"and {len(open_alerts) - SHOWN_ALERTS} more on the Alerts page",
            icon=":material/arrow_forward:",
        )
    middle, right = st.columns(2, gap="large")
    with middle:
        st.markdown("**Doors silent now**")
        if silent.empty:
            st.caption("Every door gave a count in its latest open hours.")
        for row in silent.head(SHOWN_ALERTS).itertuples():
            kind = "failed" if row.n_failed >= row.n_missing else "no reading"
            st.markdown(
                f"- **{row.store_name} · {row.sensor_name}**: no count for "
                f"{row.n_silent_open_hours} open hours ({kind}), since "
                f"{pd.Timestamp(row.silent_since_local):%a %d %b %H:%M}"
            )
        if len(silent) > SHOWN_ALERTS:
            st.caption(f"and {len(silent) - SHOWN_ALERTS} more (Data quality lists every door).")
    with right:
        st.markdown("**Below their usual, by raw counts**")
        if low.empty:
            st.caption("Every store counted near its usual on its latest day.")
        for row in low.head(SHOWN_ALERTS).itertuples():
            day = f"{pd.Timestamp(row.local_date):%a %d %b}" + (
                "" if row.is_complete_day else " so far"
            )
            doors = f"; doors far below: {row.low_doors}" if isinstance(row.low_doors, str) else ""
            st.markdown(
                f"- **{row.store_name}**: counted {row.traffic_vs_baseline_pct:.1f} % of its "
                f"same-weekday baseline on {day}, where it usually counts "
                f"{row.usual_pct:.1f} %{doors}"
            )
        if len(low) > SHOWN_ALERTS:
            st.caption(f"and {len(low) - SHOWN_ALERTS} more (Alerts page, baseline chart).")


def _vs(now: float, before: float) -> str | None:
    """The change and the figure it is measured against ("+2.9 % from 119,950")."""
    change = ui.signed_pct(ui.pct_change(now, before))
    return None if change is None else f"{change} from {before:,.0f}"


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Chain overview")
    chosen = controls.stores(cat)
    measure = controls.measure()
    needs_attention(q, cat)
    ui.require(chosen, "store")

    sel = page_data.default_selection(cat, stores=tuple(chosen), measure=measure)
    data = page_data.overview(q, cat, sel)
    kpis = data["kpis"]
    kpis = kpis.merge(cat.stores[["store_id", "country", "city"]], on="store_id")
    kpis["store"] = kpis["store_id"].map(names)
    value_columns = ["today", "today_last_week", "this_week", "this_week_last_week"]
    value_columns += ["full_week", "full_week_before"]
    kpis[value_columns] = kpis[value_columns].apply(ui.whole)
    as_of = pd.Timestamp(kpis["as_of"].max())
    week_start = (as_of - pd.Timedelta(days=as_of.weekday())).normalize()
    full_week = (
        f"{week_start - pd.Timedelta(days=7):%d %b} to {week_start - pd.Timedelta(days=1):%d %b}"
    )
    st.subheader("Traffic")
    st.caption(
        f"{measure.capitalize()} visits of {controls.describe_stores(cat, chosen)}, "
        f"store-local time · data up to {as_of:%a %d %b %Y} {as_of:%H}:59 · each figure is "
        "compared with the same span one week earlier."
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
        delta=_vs(total["today"], total["today_last_week"]),
        help=f"Since midnight, compared with last {as_of:%A} up to the same hour.",
        border=True,
    )
    c2.metric(
        "This week so far",
        f"{total['this_week']:,.0f}",
        delta=_vs(total["this_week"], total["this_week_last_week"]),
        help="Since Monday, compared with last week up to the same day and hour.",
        border=True,
    )
    c3.metric(
        f"Last full week ({full_week})",
        f"{total['full_week']:,.0f}",
        delta=_vs(total["full_week"], total["full_week_before"]),
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
    table = table.sort_values(["country", "city", "store"], ignore_index=True)
    scale = charts.color_scale(cat.stores["store_name"], shown=table["store"])

    st.subheader("By store")
    pct = {"format": "%+.1f %%", "help": "Change from the same span one week earlier."}
    if cat.is_large:
        st.caption(
            "Grouped by country and city; click a column header to sort. The stores are those "
            "chosen in the sidebar (by default the biggest movers of the last full week)."
        )
        by_country(kpis)
    ui.table(
        table,
        height=min(420, 38 + 35 * len(table)),
        column_config={
            "country": "Country",
            "city": "City",
            "store": "Store",
            "today": st.column_config.NumberColumn("Today so far", format="localized"),
            "today_wow_pct": st.column_config.NumberColumn("vs last week", **pct),
            "this_week": st.column_config.NumberColumn("This week so far", format="localized"),
            "this_week_wow_pct": st.column_config.NumberColumn("vs last week ", **pct),
            "full_week": st.column_config.NumberColumn("Last full week", format="localized"),
            "full_week_before": st.column_config.NumberColumn(
                "The week before", format="localized"
            ),
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


def by_country(kpis: pd.DataFrame) -> None:
    """Last full week and the week before, summed per country, for a large chain."""
    grouped = kpis.groupby("country", as_index=False).agg(
        n_stores=("store_id", "count"),
        full_week=("full_week", "sum"),
        full_week_before=("full_week_before", "sum"),
    )
    grouped["full_week_wow_pct"] = [
        ui.pct_change(a, b)
        for a, b in zip(grouped["full_week"], grouped["full_week_before"], strict=True)
    ]
    st.markdown("**By country** (the chosen stores)")
    ui.table(
        grouped.astype({"full_week_wow_pct": "float64"}),
        column_config={
            "country": "Country",
            "n_stores": st.column_config.NumberColumn("Stores", format="localized"),
            "full_week": st.column_config.NumberColumn("Last full week", format="localized"),
            "full_week_before": st.column_config.NumberColumn(
                "The week before", format="localized"
            ),
            "full_week_wow_pct": st.column_config.NumberColumn(
                "vs the week before", format="%+.1f %%"
            ),
        },
    )
    st.markdown("**By store**")


main()
