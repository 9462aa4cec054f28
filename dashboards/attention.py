"""What needs the owner's attention, and the alerts in words: the queries and texts behind the
first screen (Chain overview) and the Alerts page.

Times here are store-local (the snapshot's alert times are UTC: they are converted with each
store's time zone in SQL), places are named (`London · Door 2`, not `london/2`), every value
carries its unit, and an episode's length is counted in the store's open hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from dashboards.queries import Query, _in

# A store is "below its usual" when its latest day's raw counts against the same-weekday
# baseline are under this share of its usual ratio; a door when under the alert's 50 %.
STORE_BELOW_PCT = 90.0
DOOR_BELOW_PCT = 50.0
# A door is "silent now" when its latest open hours, this many or more in a row, gave no count.
SILENT_NOW_HOURS = 2

RULE_LABELS = {
    "silent_sensor": "Silent door",
    "silent_store": "Silent store",
    "sensor_failure_rate": "Door failures",
    "sensor_anomaly_rate": "Door anomalies",
    "sensor_traffic_drop": "Door traffic drop",
    "store_traffic_drop": "Store traffic drop",
    "store_below_floor": "Store below its floor",
}
SENSOR_RULES = ("silent_sensor", "sensor_failure_rate", "sensor_anomaly_rate")
SENSOR_RULES += ("sensor_traffic_drop",)
# The unit of an alert's measured value and threshold, per rule.
UNITS = {
    "silent_sensor": "open hours",
    "silent_store": "open hours",
    "sensor_failure_rate": "% of open hours",
    "sensor_anomaly_rate": "% of readings",
    "sensor_traffic_drop": "% of usual",
    "store_traffic_drop": "% of usual",
    "store_below_floor": "visits",
}
SEVERITY_ORDER = {"critical": 0, "warning": 1}


def _local(column: str) -> str:
    """SQL: a naive UTC timestamp column as the store's local wall-clock time."""
    return f"timezone(s.timezone, timezone('UTC', {column}))"


def alerts(
    q: Query,
    stores: Sequence[str],
    *,
    only_open: bool = False,
    start: date | None = None,
    end: date | None = None,
    alert_id: str | None = None,
) -> pd.DataFrame:
    """Alert episodes with names, local times and their length in open hours, worst first.

    Worst first: open before resolved, critical before warning, then the longest (in open
    hours). With start and end: the episodes that overlap those local dates.
    """
    where, params = [f"a.store_id in {_in(stores)}"], [*stores]
    if only_open:
        where.append("a.is_open")
    if alert_id is not None:
        where, params = ["a.alert_id = ?"], [alert_id]
    if start is not None and end is not None:
        where.append(f"{_local('a.opened_at_utc')} < ?::date + 1")
        where.append(f"{_local('coalesce(a.resolved_at_utc, a.last_seen_utc)')} >= ?::date")
        params += [end, start]
    sql = f"""
        with chosen as (
            select
                a.*,
                coalesce(a.resolved_at_utc, a.last_seen_utc) as ended_utc,
                s.store_name,
                s.timezone,
                d.sensor_name,
                {_local("a.opened_at_utc")} as opened_local,
                {_local("a.last_seen_utc")} as last_seen_local,
                {_local("a.resolved_at_utc")} as resolved_local
            from fct_alerts a
            join dim_stores s using (store_id)
            left join dim_sensors d on d.store_id = a.store_id and d.sensor_id = a.sensor_id
            where {" and ".join(where)}
        ),
        open_hours as (
            select c.alert_id, count(*) as n_open_hours
            from chosen c
            join fct_store_traffic_hourly h
                on h.store_id = c.store_id
                and h.hour_start_utc >= c.opened_at_utc
                and h.hour_start_utc < c.ended_utc
            where h.is_open_hour
            group by all
        )
        select
            c.alert_id, c.rule, c.severity, c.store_id, c.sensor_id, c.store_name,
            c.sensor_name, c.timezone, c.opened_at_utc, c.last_seen_utc, c.resolved_at_utc,
            c.ended_utc, c.is_open, c.opened_local, c.last_seen_local, c.resolved_local,
            c.measured_value, c.threshold, c.n_periods,
            coalesce(o.n_open_hours, 0) as n_open_hours
        from chosen c
        left join open_hours o using (alert_id)
        order by c.is_open desc, c.severity = 'critical' desc, n_open_hours desc,
            c.opened_at_utc, c.store_name, c.sensor_id nulls first
    """
    return describe(q(sql, params))


def where_label(row: pd.Series) -> str:
    """`London` or `London · Door 2`."""
    if pd.isna(row["sensor_id"]):
        return str(row["store_name"])
    door = (
        row["sensor_name"] if isinstance(row["sensor_name"], str) else f"sensor {row['sensor_id']}"
    )
    return f"{row['store_name']} · {door}"


def value_text(value: float | None, rule: str) -> str:
    """A measured value or threshold with its unit ("10 open hours", "12.5 % of usual")."""
    if value is None or pd.isna(value):
        return "–"
    unit = UNITS.get(rule, "")
    if rule in ("silent_sensor", "silent_store", "store_below_floor"):
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def what_text(row: pd.Series) -> str:
    """The alert in one sentence, with names, local times and units."""
    rule, where = row["rule"], row["where"]
    value = row["measured_value"]
    day = (pd.Timestamp(row["last_seen_local"]) - pd.Timedelta(minutes=1)).strftime("%a %d %b")
    since = pd.Timestamp(row["opened_local"]).strftime("%a %d %b %H:%M")
    threshold = value_text(row["threshold"], rule)
    if rule == "silent_sensor":
        return f"{where} gave no count for {value:,.0f} open hours in a row (since {since})."
    if rule == "silent_store":
        return f"No door of {where} gave a count for {value:,.0f} open hours (since {since})."
    if rule == "sensor_failure_rate":
        return (
            f"{value:.1f} % of the open hours of {where} failed on {day} (alert above {threshold})."
        )
    if rule == "sensor_anomaly_rate":
        return (
            f"{value:.1f} % of the readings of {where} were anomalous on {day} "
            f"(alert above {threshold})."
        )
    if rule in ("sensor_traffic_drop", "store_traffic_drop"):
        return (
            f"{where} counted {value:.1f} % of its usual traffic on {day}, by raw counts "
            f"(alert below {threshold})."
        )
    if rule == "store_below_floor":
        return f"{where} had {value:,.0f} visits on {day}, below its floor of {threshold}."
    return f"{RULE_LABELS.get(rule, rule)} at {where}."


def describe(df: pd.DataFrame) -> pd.DataFrame:
    """Add the people's columns: rule label, where, what, measured and threshold with units."""
    out = df.copy()
    if out.empty:
        for column in ("rule_label", "where", "what", "measured", "limit", "state"):
            out[column] = pd.Series(dtype="object")
        return out
    out["rule_label"] = out["rule"].map(RULE_LABELS).fillna(out["rule"])
    out["where"] = out.apply(where_label, axis=1)
    out["what"] = out.apply(what_text, axis=1)
    out["measured"] = [value_text(v, r) for v, r in zip(out.measured_value, out.rule, strict=True)]
    out["limit"] = [value_text(v, r) for v, r in zip(out.threshold, out.rule, strict=True)]
    out["state"] = out["is_open"].map({True: "open", False: "resolved"})
    return out


def silent_doors(q: Query, stores: Sequence[str]) -> pd.DataFrame:
    """Doors whose latest open hours (SILENT_NOW_HOURS or more in a row) gave no count.

    Looks at the last 7 local days; a door's run starts after its last counted open hour.
    """
    sql = f"""
        with recent as (
            select h.store_id, h.sensor_id, h.hour_start_utc, h.hour_start_local, h.status
            from fct_sensor_traffic_hourly h
            join serving_store_extent e using (store_id)
            where h.store_id in {_in(stores)} and h.is_open_hour
                and h.local_date >= e.last_local_date - 7
        ),
        last_count as (
            select
                store_id,
                sensor_id,
                max(hour_start_utc) filter (where status in ('ok', 'anomalous'))
                    as last_count_utc,
                max(hour_start_local) filter (where status in ('ok', 'anomalous'))
                    as last_count_local
            from recent
            group by all
        ),
        runs as (
            select
                r.store_id,
                r.sensor_id,
                any_value(l.last_count_local) as last_count_local,
                count(*) as n_silent_open_hours,
                count(*) filter (where r.status = 'failed') as n_failed,
                count(*) filter (where r.status = 'missing') as n_missing,
                min(r.hour_start_local) as silent_since_local
            from recent r
            join last_count l using (store_id, sensor_id)
            where r.hour_start_utc > coalesce(l.last_count_utc, '1900-01-01'::timestamp)
            group by all
        )
        select runs.*, s.store_name, d.sensor_name
        from runs
        join dim_stores s using (store_id)
        join dim_sensors d using (store_id, sensor_id)
        where n_silent_open_hours >= ?
        order by n_silent_open_hours desc, s.store_name, runs.sensor_id
    """
    return q(sql, [*stores, SILENT_NOW_HOURS])


def below_usual(q: Query, stores: Sequence[str]) -> pd.DataFrame:
    """Stores whose latest day with a baseline counted well under their usual, by raw counts.

    A day's traffic against its baseline (`traffic_vs_baseline_pct`: raw counts over the hours
    reported, against the same-weekday median of the same hours) sits below 100 % even on a
    normal day where a store's sensors often read anomalously low; so the latest day is
    compared with the store's own usual share, the median of its 28 days before. A store is
    listed when the ratio is under STORE_BELOW_PCT, with its doors under DOOR_BELOW_PCT of
    their baseline that day (`low_doors`).
    """
    sql = f"""
        with days as (
            select store_id, local_date, is_complete_day, traffic_vs_baseline_pct,
                max(local_date) over (partition by store_id) as latest
            from fct_store_health_daily
            where store_id in {_in(stores)} and n_baseline_hours > 0
        ),
        usual as (
            select store_id, median(traffic_vs_baseline_pct) as usual_pct
            from days
            where local_date < latest and local_date >= latest - 28
            group by all
        ),
        stores_low as (
            select d.store_id, d.local_date, d.is_complete_day, d.traffic_vs_baseline_pct,
                u.usual_pct,
                100.0 * d.traffic_vs_baseline_pct / nullif(u.usual_pct, 0) as vs_usual_pct
            from days d
            join usual u using (store_id)
            where d.local_date = d.latest
                and d.traffic_vs_baseline_pct < ? / 100.0 * u.usual_pct
        ),
        doors as (
            select
                d.store_id,
                string_agg(
                    sn.sensor_name || ' (' || round(d.traffic_vs_baseline_pct)::integer || ' %)',
                    ', ' order by d.traffic_vs_baseline_pct
                ) as low_doors
            from fct_sensor_health_daily d
            join stores_low using (store_id, local_date)
            join dim_sensors sn using (store_id, sensor_id)
            where d.traffic_vs_baseline_pct < ?
            group by all
        )
        select stores_low.*, s.store_name, s.city, s.country, doors.low_doors
        from stores_low
        join dim_stores s using (store_id)
        left join doors using (store_id)
        order by vs_usual_pct, s.store_name
    """
    return q(sql, [*stores, STORE_BELOW_PCT, DOOR_BELOW_PCT])


def traffic_around(
    q: Query, store: str, sensor: int | None, start_utc: object, end_utc: object
) -> pd.DataFrame:
    """Hourly raw counts against the expected values (the baseline) of a door, or of a whole
    store (its doors summed), between two UTC times; local hour starts."""
    sensor_term = "and sensor_id = ?" if sensor is not None else ""
    params: list[object] = [store, *([int(sensor)] if sensor is not None else [])]
    sql = f"""
        select
            hour_start_local,
            any_value(is_open_hour) as is_open_hour,
            sum(visits_raw) as visits_raw,
            sum(visits_expected) as visits_expected,
            count(*) filter (where status in ('failed', 'missing')) as n_silent
        from fct_sensor_traffic_hourly
        where store_id = ? {sensor_term}
            and hour_start_utc >= ? and hour_start_utc < ?
        group by hour_start_utc, hour_start_local
        order by hour_start_utc
    """
    return q(sql, [*params, start_utc, end_utc])
