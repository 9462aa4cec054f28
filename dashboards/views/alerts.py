"""Alerts: what is wrong now, and each alert's history (fct_alerts and the health marts)."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, context, controls, ui
from footfall.alerts import history

RULES_HELP = """
**Silent sensor**: no reading (failed or missing) for several open hours in a row (warning
from 3, critical from 10). **Silent store**: none of a store's sensors gave a reading for
several open hours in a row (critical). **Sensor failures / anomalies**: more than 30 % of a
sensor's open hours failed, or more than 50 % of its readings were anomalous, in a day.
**Traffic drop**: a sensor or a store counted less than half of its same-weekday baseline over
the hours it reported (a store-wide drop is critical, and its sensors are then not alerted
one by one). **Below its floor**: a store's complete day under a fixed number of visits (critical).

Drops are measured on the **raw** counts: cleaning replaces a reading below half of its
expected value by the expected value, which would hide a real collapse of traffic.
An alert is **open** while its rule still fires on the latest data; `make alerts` sends each
open alert once (email, webhook) and exits 1 while a critical one is open. The thresholds are
dbt vars (README, "Alerts and the schedule").
"""


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """Rules and places named for people: `Silent sensor`, `Berlin · Door 2`."""
    cat = context.catalog()
    names = {**cat.store_names(), **cat.sensor_labels()}
    out = df.copy()
    out["rule"] = out["rule"].map(history.RULE_LABELS).fillna(out["rule"])
    key = out["store_id"].where(
        out["sensor_id"].isna(),
        out["store_id"] + ":" + out["sensor_id"].astype("Int64").astype(str),
    )
    out["subject"] = key.map(names).fillna(out["subject"])
    return out


def open_now(q: context.Db, chosen: list[str]) -> None:
    now = history.open_alerts(q, chosen)
    n_critical = int((now["severity"] == "critical").sum())
    c1, c2 = st.columns(2)
    c1.metric("Open alerts", len(now), border=True)
    c2.metric("Of which critical", n_critical, border=True)
    if now.empty:
        st.success("No open alert for the chosen stores.", icon=":material/check_circle:")
        return
    ui.table(
        _labelled(now)[
            ["severity", "rule", "subject", "opened_at_utc", "last_seen_utc", "message"]
        ],
        column_config={
            "severity": "Severity",
            "rule": "Rule",
            "subject": "Where",
            "opened_at_utc": st.column_config.DatetimeColumn("Opened (UTC)", format="D MMM, HH:mm"),
            "last_seen_utc": st.column_config.DatetimeColumn(
                "Last seen (UTC)", format="D MMM, HH:mm"
            ),
            "message": "What",
        },
    )


def timeline(eps: pd.DataFrame) -> alt.Chart:
    """One bar per episode, from its opening to its resolution (or now, while open)."""
    data = _labelled(eps)
    data["state"] = eps["is_open"].map({True: "open", False: "resolved"})
    return (
        alt.Chart(data)
        .mark_bar(cornerRadius=2, height=12)
        .encode(
            x=alt.X("opened_at_utc:T", title="UTC", scale=alt.Scale(type="utc")),
            x2="ended_utc:T",
            y=alt.Y("subject:N", title=None, sort="ascending"),
            color=alt.Color(
                "rule:N",
                title="Rule",
                scale=alt.Scale(
                    domain=list(history.RULE_LABELS.values()),
                    range=list(charts.PALETTE[: len(history.RULE_LABELS)]),
                ),
            ),
            opacity=alt.Opacity(
                "state:N", scale=alt.Scale(domain=["open", "resolved"], range=[1.0, 0.55])
            ),
            tooltip=[
                alt.Tooltip("rule:N", title="Rule"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("subject:N", title="Where"),
                alt.Tooltip("opened_at_utc:T", title="Opened (UTC)", format="%d %b %H:%M"),
                alt.Tooltip("ended_utc:T", title="Resolved / last seen", format="%d %b %H:%M"),
                alt.Tooltip("state:N", title="State"),
                alt.Tooltip("message:N", title="What"),
            ],
        )
        .properties(height=max(120, 26 * data["subject"].nunique()))
    )


def baseline_chart(health: pd.DataFrame, names: dict[str, str], scale: alt.Scale) -> alt.Chart:
    """Each store's traffic against its same-weekday baseline, in percent (100 = as usual)."""
    data = health[health["traffic_vs_baseline_pct"].notna()].copy()
    data["store"] = data["store_id"].map(names)
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("local_date:T", title=None, scale=alt.Scale(type="utc")),
            y=alt.Y("traffic_vs_baseline_pct:Q", title="% of the same-weekday baseline"),
            color=alt.Color("store:N", title="Store", scale=scale),
            tooltip=[
                alt.Tooltip("store:N", title="Store"),
                alt.Tooltip("local_date:T", title="Day", format="%a %d %b %Y"),
                alt.Tooltip("traffic_vs_baseline_pct:Q", title="% of baseline", format=".1f"),
                alt.Tooltip("failure_rate_pct:Q", title="Failed hours %", format=".1f"),
                alt.Tooltip("anomaly_rate_pct:Q", title="Anomalous readings %", format=".1f"),
                alt.Tooltip("n_sensors_silent:Q", title="Sensors with silent hours"),
            ],
        )
    )
    usual = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return (line + usual).properties(height=charts.HEIGHT)


HEALTH_MEASURES = {
    "silent_rate_pct": "Silent open hours (failed or missing), %",
    "failure_rate_pct": "Failed open hours, %",
    "anomaly_rate_pct": "Anomalous readings, %",
}


def sensor_health_grid(health: pd.DataFrame, measure: str) -> alt.Chart:
    """One cell per sensor and day, darker the worse (fct_sensor_health_daily)."""
    return (
        alt.Chart(health)
        .mark_rect()
        .encode(
            x=alt.X("local_date:T", title=None, scale=alt.Scale(type="utc")),
            x2="next_date:T",
            y=alt.Y("sensor:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                f"{measure}:Q",
                title="%",
                scale=alt.Scale(scheme="orangered", domain=[0, 100]),
            ),
            tooltip=[
                alt.Tooltip("sensor:N", title="Sensor"),
                alt.Tooltip("local_date:T", title="Day", format="%a %d %b %Y"),
                alt.Tooltip("n_open_hours:Q", title="Open hours"),
                alt.Tooltip("n_silent_open_hours:Q", title="Silent open hours"),
                alt.Tooltip("failure_rate_pct:Q", title="Failed %", format=".1f"),
                alt.Tooltip("anomaly_rate_pct:Q", title="Anomalous %", format=".1f"),
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

    st.subheader("Open now")
    open_now(q, chosen)
    with st.expander("What the rules mean"):
        st.markdown(RULES_HELP)

    st.subheader("History")
    eps = history.episodes(q, chosen, start, end)
    st.caption(
        f"Every alert episode of the chosen stores between {start:%d %b %Y} and "
        f"{end:%d %b %Y}: when it opened and when it resolved (open ones run to the latest "
        "data). An alert that resolved and came back is a new episode."
    )
    if eps.empty:
        st.info("No alert in this range.", icon=":material/info:")
    else:
        rules = sorted(eps["rule"].unique(), key=list(history.RULE_LABELS).index)
        shown_rules = st.multiselect(
            "Rules",
            rules,
            default=rules,
            format_func=lambda r: history.RULE_LABELS.get(r, r),
            key="alert_rules",
        )
        eps = eps[eps["rule"].isin(shown_rules)]
        st.altair_chart(timeline(eps), width="stretch")
        table = _labelled(eps)[
            [
                "severity",
                "rule",
                "subject",
                "opened_at_utc",
                "resolved_at_utc",
                "duration_h",
                "measured_value",
                "threshold",
                "message",
            ]
        ]
        ui.table(
            table,
            height=min(420, 38 + 35 * len(table)),
            column_config={
                "severity": "Severity",
                "rule": "Rule",
                "subject": "Where",
                "opened_at_utc": st.column_config.DatetimeColumn(
                    "Opened (UTC)", format="D MMM YYYY, HH:mm"
                ),
                "resolved_at_utc": st.column_config.DatetimeColumn(
                    "Resolved (UTC)", format="D MMM YYYY, HH:mm"
                ),
                "duration_h": st.column_config.NumberColumn("Hours", format="%.0f"),
                "measured_value": st.column_config.NumberColumn("Measured", format="%.1f"),
                "threshold": st.column_config.NumberColumn("Threshold", format="%.1f"),
                "message": "What",
            },
        )
        ui.download(eps, f"alerts_{start}_{end}")

    st.subheader("Traffic against the same-weekday baseline")
    st.caption(
        "Raw counts of the hours each store reported, in percent of their expected values "
        "(the median of the same weekday and hour over the 4 weeks before). 100 = as usual."
    )
    health = history.store_health(q, chosen, start, end)
    if health["traffic_vs_baseline_pct"].notna().any():
        scale = charts.color_scale(cat.stores["store_name"])
        st.altair_chart(baseline_chart(health, names, scale), width="stretch")
    else:
        st.info("No day with a baseline in this range.", icon=":material/info:")

    st.subheader("Sensor health per day")
    st.caption(
        "Each sensor's open hours of each day (store-local): the share without a reading, "
        "failed, or with an anomalous reading. Closed days are left out."
    )
    sensors_section(q, chosen, start, end)


main()
