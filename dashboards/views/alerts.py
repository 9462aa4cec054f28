"""Alerts: what is wrong now, one alert in detail, and each alert's history (fct_alerts and the
health marts). Times are store-local, places named, values with their units."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import attention, charts, context, controls, queries, ui
from footfall.alerts import history

RULES_HELP = """
**Silent door**: a door gives no count (failed or missing) for several open hours in a row
(warning from 3, critical from 10). **Silent store**: none of a store's doors gave a count for
several open hours in a row (critical). **Door failures / anomalies**: more than 30 % of a
door's open hours failed, or more than 50 % of its readings were anomalous, in a day.
**Traffic drop**: a door or a store counted less than half of its same-weekday baseline over
the hours it reported (a store-wide drop is critical, and its doors are then not alerted
one by one). **Below its floor**: a store's complete day under a fixed number of visits (critical).

Drops are measured on the **raw** counts: cleaning replaces a reading below half of its
expected value by the expected value, which would hide a real collapse of traffic.
An alert is **open** while its rule still fires on the latest data. Its length is counted in
**open hours** of the store (closed nights and days do not count). `make alerts` sends each
open alert once (email, webhook) and exits 1 while a critical one is open. The thresholds are
dbt vars (README, "Alerts and the schedule").
"""
TABLE_COLUMNS = {
    "severity": "Severity",
    "rule_label": "Rule",
    "where": st.column_config.TextColumn("Where", width="medium"),
    "opened_local": st.column_config.DatetimeColumn(
        "Opened (store time)", format="ddd D MMM YYYY, HH:mm"
    ),
    "until": st.column_config.TextColumn("Resolved (store time)"),
    "n_open_hours": st.column_config.NumberColumn(
        "Open hours", format="localized", help="Open hours of the store the episode lasted."
    ),
    "measured": st.column_config.TextColumn("Measured", help="In the episode's last period."),
    "limit": st.column_config.TextColumn("Threshold"),
    "what": st.column_config.TextColumn("What", width="large"),
}
DETAIL_DAYS_BEFORE = 2
DETAIL_MAX_DAYS = 14


def _until(df: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [
            "open" if is_open else pd.Timestamp(t).strftime("%a %d %b %Y, %H:%M")
            for is_open, t in zip(df["is_open"], df["resolved_local"], strict=True)
        ],
        index=df.index,
        dtype="object",
    )


def alert_table(df: pd.DataFrame, key: str) -> str | None:
    """The episodes as a table; click a row to see it in detail (returns its id)."""
    shown = df.assign(until=_until(df))
    event = ui.table(
        shown[list(TABLE_COLUMNS)],
        height=min(420, 38 + 35 * len(shown)),
        column_config=TABLE_COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
    )
    rows = event.selection.rows if event is not None else []
    return shown["alert_id"].iloc[rows[0]] if rows else None


def timeline(eps: pd.DataFrame) -> alt.Chart:
    """One bar per episode in store-local time, from its opening to its resolution (or the
    latest data while open); coloured by severity, the legend lists what is drawn."""
    data = eps.assign(
        ended_local=eps["resolved_local"].fillna(eps["last_seen_local"]),
        opened=eps["opened_local"].dt.strftime("%a %d %b %Y, %H:%M"),
        until=_until(eps),
    )
    severities = [s for s in ("critical", "warning") if s in set(data["severity"])]
    states = [s for s in ("open", "resolved") if s in set(data["state"])]
    return (
        alt.Chart(data)
        .mark_bar(cornerRadius=2, height=12)
        .encode(
            x=alt.X("opened_local:T", title="store-local time", scale=alt.Scale(type="utc")),
            x2="ended_local:T",
            y=alt.Y("where:N", title=None, sort="ascending"),
            color=alt.Color(
                "severity:N",
                title="severity",
                scale=alt.Scale(
                    domain=severities, range=[charts.SEVERITY_COLORS[s] for s in severities]
                ),
            ),
            opacity=alt.Opacity(
                "state:N",
                title="state",
                scale=alt.Scale(
                    domain=states, range=[{"open": 1.0, "resolved": 0.45}[s] for s in states]
                ),
            ),
            tooltip=[
                alt.Tooltip("rule_label:N", title="rule"),
                alt.Tooltip("severity:N"),
                alt.Tooltip("where:N"),
                alt.Tooltip("opened:N", title="opened (store time)"),
                alt.Tooltip("until:N", title="resolved (store time)"),
                alt.Tooltip("n_open_hours:Q", title="open hours", format=",.0f"),
                alt.Tooltip("measured:N"),
                alt.Tooltip("what:N"),
            ],
        )
        .properties(height=max(120, 26 * data["where"].nunique()))
    )


def detail(q: context.Db, cat: queries.Catalog, alert_id: str) -> None:
    """One alert: what fired, since when, for how many open hours, and the traffic of its door
    (or store) against its baseline around it."""
    found = attention.alerts(q, cat.store_ids, alert_id=alert_id)
    if found.empty:
        ui.notice(
            f"The link asks for the alert “{alert_id}”, which this snapshot does not have (it "
            "may come from an older one): showing every alert instead."
        )
        return
    a = found.iloc[0]
    st.subheader(f"{a.rule_label}: {a['where']}")
    opened = pd.Timestamp(a.opened_local)
    if a.is_open:
        state = (
            f"open since {opened:%a %d %b %Y, %H:%M} (store time), for {a.n_open_hours} open hours"
        )
    else:
        resolved = pd.Timestamp(a.resolved_local)
        state = (
            f"from {opened:%a %d %b %Y, %H:%M} to {resolved:%a %d %b %Y, %H:%M} (store time), "
            f"{a.n_open_hours} open hours"
        )
    st.markdown(f"**{a.severity.capitalize()}**, {state}. {a.what}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Measured", a.measured, border=True, help="In the episode's last period.")
    c2.metric("Threshold", a.limit, border=True)
    c3.metric("Open hours since it opened", f"{a.n_open_hours:,}", border=True, help=state)
    start = pd.Timestamp(a.opened_at_utc) - pd.Timedelta(days=DETAIL_DAYS_BEFORE)
    end = min(
        pd.Timestamp(a.ended_utc) + pd.Timedelta(days=1), start + pd.Timedelta(DETAIL_MAX_DAYS, "D")
    )
    sensor = None if pd.isna(a.sensor_id) else int(a.sensor_id)
    around = attention.traffic_around(q, a.store_id, sensor, start, end)
    if around.empty:
        st.info("No hourly traffic around this alert in the snapshot.", icon=":material/info:")
        return
    span = pd.DataFrame(
        {
            "start": [pd.Timestamp(a.opened_local)],
            "end": [pd.Timestamp(a.resolved_local if not a.is_open else a.last_seen_local)],
            "what": [f"alert ({a.severity})"],
        }
    )
    st.altair_chart(around_chart(around, span, a.severity), width="stretch")
    st.caption(
        f"Raw counts of {a['where']} per hour (store time) against its baseline, the expected "
        "value of each hour (the median of the same weekday and hour over the 4 weeks before), "
        f"from {DETAIL_DAYS_BEFORE} days before the alert to a day after it. The shaded span is "
        "the alert; silent hours have no raw count."
    )


def around_chart(around: pd.DataFrame, span: pd.DataFrame, severity: str) -> alt.LayerChart:
    long = around.assign(
        visits_raw=ui.whole(around["visits_raw"].where(around["n_silent"] == 0)),
        visits_expected=ui.whole(around["visits_expected"]),
        when=around["hour_start_local"].dt.strftime("%a %d %b %Y %H:%M"),
    ).melt(
        id_vars=["hour_start_local", "when"],
        value_vars=["visits_raw", "visits_expected"],
        var_name="series",
        value_name="visits",
    )
    long["series"] = long["series"].map(
        {"visits_raw": "raw count", "visits_expected": "baseline (expected)"}
    )
    series = ["raw count", "baseline (expected)"]
    x = alt.X(
        "hour_start_local:T",
        title="store-local time",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(labelExpr=charts.HOURLY_LABELS, labelOverlap=True),
    )
    nearest = alt.selection_point(
        nearest=True, on="pointerover", clear="pointerout", empty=False, name="nearest"
    )
    base = alt.Chart(long).encode(
        x=x,
        y=alt.Y("visits:Q", title="visits per hour", axis=alt.Axis(labelExpr=charts.SI_LABELS)),
        color=alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(domain=series, range=[charts.PALETTE[0], "#8c8c8c"]),
        ),
        strokeDash=alt.StrokeDash(
            "series:N", title=None, scale=alt.Scale(domain=series, range=[[1, 0], [4, 3]])
        ),
    )
    lines = base.mark_line(strokeWidth=1.8)
    dots = (
        base.mark_point(filled=True, size=60)
        .encode(
            opacity=alt.condition(nearest, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("when:N", title="store time"),
                alt.Tooltip("series:N", title="series"),
                alt.Tooltip("visits:Q", title="visits", format=",.0f"),
            ],
        )
        .add_params(nearest)
    )
    shade = (
        alt.Chart(span)
        .mark_rect(opacity=0.15, color=charts.SEVERITY_COLORS.get(severity, "#d62728"))
        .encode(x=alt.X("start:T", scale=alt.Scale(type="utc")), x2="end:T")
    )
    return alt.layer(shade, lines, dots).properties(height=charts.HEIGHT)


def baseline_chart(health: pd.DataFrame, names: dict[str, str], domain: list[str]) -> alt.Chart:
    """Each store's traffic against its same-weekday baseline, in percent (100 = as usual)."""
    data = health[health["traffic_vs_baseline_pct"].notna()].copy()
    data["store"] = data["store_id"].map(names)
    data["day"] = pd.to_datetime(data["local_date"]).dt.strftime("%a %d %b %Y")
    scale = charts.color_scale(domain, shown=data["store"].unique())
    nearest = alt.selection_point(
        nearest=True, on="pointerover", clear="pointerout", empty=False, name="nearest"
    )
    base = alt.Chart(data).encode(
        x=alt.X("local_date:T", title="local date", scale=alt.Scale(type="utc")),
        y=alt.Y(
            "traffic_vs_baseline_pct:Q",
            title="% of the same-weekday baseline",
            scale=alt.Scale(zero=True),
        ),
        color=alt.Color("store:N", title="store", scale=scale),
    )
    line = base.mark_line(point=True)
    dots = (
        base.mark_point(filled=True, size=90)
        .encode(
            opacity=alt.condition(nearest, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("store:N"),
                alt.Tooltip("day:N", title="day"),
                alt.Tooltip("traffic_vs_baseline_pct:Q", title="% of baseline", format=".1f"),
                alt.Tooltip("failure_rate_pct:Q", title="failed open hours %", format=".1f"),
                alt.Tooltip("anomaly_rate_pct:Q", title="anomalous readings %", format=".1f"),
                alt.Tooltip("n_sensors_silent:Q", title="doors with silent hours"),
            ],
        )
        .add_params(nearest)
    )
    usual = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(line, dots, usual).properties(height=charts.HEIGHT)


HEALTH_MEASURES = {
    "silent_rate_pct": "Silent open hours (failed or missing), %",
    "failure_rate_pct": "Failed open hours, %",
    "anomaly_rate_pct": "Anomalous readings, %",
}


def sensor_health_grid(health: pd.DataFrame, measure: str) -> alt.Chart:
    """One cell per door and day, darker the worse (fct_sensor_health_daily)."""
    health = health.assign(day=pd.to_datetime(health["local_date"]).dt.strftime("%a %d %b %Y"))
    return (
        alt.Chart(health)
        .mark_rect()
        .encode(
            x=alt.X("local_date:T", title="local date", scale=alt.Scale(type="utc")),
            x2="next_date:T",
            y=alt.Y("sensor:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                f"{measure}:Q",
                title="% of open hours" if measure != "anomaly_rate_pct" else "% of readings",
                scale=alt.Scale(scheme="greys", domain=[0, 100]),
            ),
            tooltip=[
                alt.Tooltip("sensor:N", title="door"),
                alt.Tooltip("day:N", title="day"),
                alt.Tooltip("n_open_hours:Q", title="open hours"),
                alt.Tooltip("n_silent_open_hours:Q", title="silent open hours"),
                alt.Tooltip("failure_rate_pct:Q", title="failed %", format=".1f"),
                alt.Tooltip("anomaly_rate_pct:Q", title="anomalous %", format=".1f"),
                alt.Tooltip("traffic_vs_baseline_pct:Q", title="% of baseline", format=".1f"),
            ],
        )
        .properties(height=max(150, 26 * health["sensor"].nunique()))
    )


def sensors_section(q: context.Db, chosen: list[str], start: date, end: date) -> None:
    cat = context.catalog()
    names = cat.store_names()
    left, right = st.columns(2)
    store = left.selectbox(
        "Store", chosen, format_func=lambda s: names.get(s, s), key="alert_health_store"
    )
    measure = right.selectbox(
        "Measure",
        list(HEALTH_MEASURES),
        format_func=HEALTH_MEASURES.get,
        key="alert_health_measure",
    )
    health = history.sensor_health(q, store, start, end)
    if health.empty:
        st.info("No open day of this store in this range.", icon=":material/info:")
        return
    labels = cat.sensor_labels()
    health["sensor"] = (health["store_id"] + ":" + health["sensor_id"].astype(str)).map(labels)
    health["next_date"] = pd.to_datetime(health["local_date"]) + pd.Timedelta(days=1)
    st.altair_chart(sensor_health_grid(health, measure), width="stretch")


def main() -> None:
    cat, q = context.catalog(), context.db()
    names = cat.store_names()
    st.title("Alerts")
    chosen = controls.stores(cat)
    start, end = controls.dates(cat)
    ui.require(chosen, "store")
    absent = history.missing_tables(q)
    if absent:
        st.info(
            f"This snapshot has no {', '.join(absent)}: it was published before the alert "
            "marts existed. Run `make build` (or `make run`) to build and publish them.",
            icon=":material/info:",
        )
        st.stop()
    st.caption(
        f"{controls.describe_stores(cat, chosen)}; every time is the store's local time. Click "
        "a row of a table to see that alert in detail."
    )

    # A row clicked in a table (state from the run before) or the link's ?alert=...
    for key in ("alerts_open_table", "alerts_history_table"):
        rows = st.session_state.get(key, {}).get("selection", {}).get("rows", [])
        picked = st.session_state.get(f"{key}_ids", [])
        if rows and rows[0] < len(picked) and picked[rows[0]] != st.query_params.get("alert"):
            st.query_params["alert"] = picked[rows[0]]
    alert_id = st.query_params.get("alert")
    if alert_id:
        detail(q, cat, alert_id)

    st.subheader("Open now")
    now = attention.alerts(q, chosen, only_open=True)
    n_critical = int((now["severity"] == "critical").sum())
    c1, c2 = st.columns(2)
    c1.metric("Open alerts", f"{len(now):,}", border=True)
    c2.metric("Of which critical", f"{n_critical:,}", border=True)
    if now.empty:
        st.success("No open alert for the chosen stores.", icon=":material/check_circle:")
    else:
        st.session_state["alerts_open_table_ids"] = now["alert_id"].tolist()
        alert_table(now, "alerts_open_table")
    with st.expander("What the rules mean"):
        st.markdown(RULES_HELP)

    st.subheader("History")
    eps = attention.alerts(q, chosen, start=start, end=end)
    st.caption(
        f"Every alert episode of the chosen stores between {start:%d %b %Y} and "
        f"{end:%d %b %Y}: when it opened and when it resolved (open ones run to the latest "
        "data). An alert that resolved and came back is a new episode."
    )
    if eps.empty:
        st.info("No alert in this range.", icon=":material/info:")
    else:
        rules = sorted(eps["rule"].unique(), key=list(attention.RULE_LABELS).index)
        # The filter's key holds the rules there are: when a refreshed snapshot brings a new
        # one, the filter starts again from every rule instead of hiding the new episodes.
        shown_rules = st.multiselect(
            "Rules",
            rules,
            default=rules,
            format_func=lambda r: attention.RULE_LABELS.get(r, r),
            key=f"alert_rules_{'_'.join(rules)}",
        )
        eps = eps[eps["rule"].isin(shown_rules)]
        if eps.empty:
            st.info("Choose at least one rule.", icon=":material/touch_app:")
        else:
            st.altair_chart(timeline(eps), width="stretch")
            st.session_state["alerts_history_table_ids"] = eps["alert_id"].tolist()
            alert_table(eps, "alerts_history_table")
            ui.download(
                eps.drop(columns=["timezone"]).rename(columns={"rule_label": "rule_name"}),
                f"alerts_{start}_{end}",
            )

    st.subheader("Traffic against the same-weekday baseline")
    st.caption(
        "Raw counts of the hours each store reported, in percent of their expected values "
        "(the median of the same weekday and hour over the 4 weeks before). 100 = as usual; "
        "a store whose doors often read anomalously low sits a little below it every day."
    )
    health = history.store_health(q, chosen, start, end)
    if health["traffic_vs_baseline_pct"].notna().any():
        st.altair_chart(
            baseline_chart(health, names, list(cat.stores["store_name"])), width="stretch"
        )
    else:
        st.info("No day with a baseline in this range.", icon=":material/info:")

    st.subheader("Door health per day")
    st.caption(
        "Each door's open hours of each day (store-local): the share without a count, "
        "failed, or with an anomalous reading. Closed days are left out."
    )
    sensors_section(q, chosen, start, end)


main()
