"""The dashboard's queries on the serving snapshot, one function per thing a page shows.

Every function takes ``q(sql, params) -> DataFrame`` (the cached runner in the app, a plain
one in tests and benchmarks) and pushes the work into DuckDB: filters on store and date
(the snapshot is sorted by them, so DuckDB skips whole row groups), aggregates in SQL, only
the columns shown. Pages call only these, so `bench/dashboard.py` times exactly what a page
runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

Query = Callable[[str, Sequence[object]], pd.DataFrame]

MEASURES = {"clean": "visits_clean", "raw": "visits_raw"}
RESOLUTIONS = ("daily", "weekly", "hourly")
HOURLY_MAX_DAYS = 92
# A chain with more stores than this is shown grouped, with the biggest movers by default.
LARGE_CHAIN = 8
ISO_WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday"}
ISO_WEEKDAYS |= {6: "Saturday", 7: "Sunday"}
HOUR_COUNTS = ("n_ok_hours", "n_failed_hours", "n_anomalous_hours", "n_missing_hours")
TREND_MEASURES = (
    "visits_clean",
    "visits_clean_ma_4w",
    "n_ma_4w_points",
    "visits_clean_wow_pct",
    "ma_4w_wow_pct",
    "deviation_from_ma_4w_pct",
)


def _in(values: Sequence[object]) -> str:
    """Placeholders for `col in (...)`; an empty selection matches nothing."""
    return f"({', '.join('?' * len(values))})" if values else "(null)"


def _measure(measure: str) -> str:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    return MEASURES[measure]


# --------------------------------------------------------------------------------------------
# What every page needs: stores, sensors, the snapshot's facts
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Catalog:
    """The stores and sensors of the snapshot, their extent, and the snapshot's own facts."""

    stores: pd.DataFrame
    sensors: pd.DataFrame
    info: dict[str, object] = field(default_factory=dict)

    @property
    def store_ids(self) -> list[str]:
        return self.stores["store_id"].tolist()

    @property
    def first_date(self) -> date:
        return pd.Timestamp(self.stores["first_local_date"].min()).date()

    @property
    def last_date(self) -> date:
        return pd.Timestamp(self.stores["last_local_date"].max()).date()

    def store_names(self) -> dict[str, str]:
        return dict(zip(self.stores["store_id"], self.stores["store_name"], strict=True))

    @property
    def is_large(self) -> bool:
        """More stores than fit one chart: pickers add the country, defaults pick movers."""
        return len(self.stores) > LARGE_CHAIN

    def store_labels(self) -> dict[str, str]:
        """The pickers' labels: the name, plus city and country in a large chain (searchable)."""
        if not self.is_large:
            return self.store_names()
        out = {}
        for row in self.stores.itertuples():
            where = row.country if row.city in row.store_name else f"{row.city}, {row.country}"
            out[row.store_id] = f"{row.store_name} · {where}"
        return out

    def sensor_labels(self) -> dict[str, str]:
        return dict(zip(self.sensors["sensor_key"], self.sensors["sensor_label"], strict=True))

    def sensors_of(self, stores: Sequence[str]) -> list[str]:
        return self.sensors.loc[self.sensors["store_id"].isin(stores), "sensor_key"].tolist()


def catalog(q: Query) -> Catalog:
    """Stores with traffic facts (and their first and last hour), their sensors, serving_info.

    Stores the warehouse knows but has no traffic for (metadata loaded, readings not) are
    left out: there is nothing to show for them.
    """
    stores = q(
        """
        with weeks as (
            select
                t.store_id,
                sum(t.visits_clean) filter (
                    where t.local_date >= date_trunc('week', e.last_local_date)::date - 7
                    and t.local_date < date_trunc('week', e.last_local_date)::date
                ) as last_week,
                sum(t.visits_clean) filter (
                    where t.local_date >= date_trunc('week', e.last_local_date)::date - 14
                    and t.local_date < date_trunc('week', e.last_local_date)::date - 7
                ) as week_before
            from fct_store_traffic_daily t
            join serving_store_extent e using (store_id)
            where t.local_date >= date_trunc('week', e.last_local_date)::date - 14
            group by all
        )
        select s.store_id, s.store_name, s.city, s.country, s.timezone, s.opened_on,
            s.n_sensors, s.open_hour_local, s.close_hour_local, e.first_local_date,
            e.last_local_date, e.last_hour_start_local, e.last_hour_start_utc,
            100.0 * (w.last_week - w.week_before) / nullif(w.week_before, 0) as last_week_pct
        from dim_stores s
        join serving_store_extent e using (store_id)
        left join weeks w using (store_id)
        order by s.country, s.city, s.store_name
        """,
        (),
    )
    sensors = q(
        "select d.store_id, d.sensor_id, d.sensor_name, "
        "d.store_id || ':' || d.sensor_id as sensor_key, "
        "s.store_name || ' · ' || d.sensor_name as sensor_label "
        "from dim_sensors d join dim_stores s using (store_id) "
        "join serving_store_extent e using (store_id) "
        "order by s.country, s.city, s.store_name, d.sensor_id",
        (),
    )
    info = q("select * from serving_info", ())
    return Catalog(stores, sensors, info.iloc[0].to_dict() if len(info) else {})


def default_range(cat: Catalog, weeks: int = 8) -> tuple[date, date]:
    """The last `weeks` weeks of data, ending at the latest local date."""
    end = cat.last_date
    return max(cat.first_date, end - timedelta(days=7 * weeks - 1)), end


# --------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------
def overview_kpis(q: Query, cat: Catalog, stores: Sequence[str], measure: str) -> pd.DataFrame:
    """Per store: visits today, this week so far and last full week, each with the span one
    week earlier, and the ok and open sensor-hours of the last 7 days.

    "Today" is the latest local date of the chosen stores in the data, up to each store's
    latest hour (a store whose data ends the day before has nothing today); weeks start on
    Monday. The spans one week earlier end at the same local hour 7 days before.
    """
    m = _measure(measure)
    chosen = cat.stores[cat.stores["store_id"].isin(stores)]
    if chosen.empty:
        return pd.DataFrame()
    since = pd.Timestamp(chosen["last_local_date"].min()).date() - timedelta(days=22)
    return q(
        f"""
        with ext as (
            select
                store_id,
                last_hour_start_local as as_of,
                max(last_hour_start_local::date) over () as today
            from serving_store_extent
            where store_id in {_in(stores)}
        ),
        hours as (
            select
                t.store_id,
                t.local_date,
                t.hour_start_local,
                coalesce(t.{m}, 0) as visits,
                t.n_ok_hours,
                t.n_open_sensor_hours,
                e.as_of,
                e.today,
                date_trunc('week', e.today)::timestamp as week_start
            from fct_store_traffic_hourly t
            join ext e using (store_id)
            where t.store_id in {_in(stores)} and t.local_date >= ?
        )
        select
            store_id,
            any_value(as_of) as as_of,
            sum(visits) filter (where local_date = today) as today,
            sum(visits) filter (
                where local_date = today - 7 and hour_start_local <= as_of - interval 7 day
            ) as today_last_week,
            sum(visits) filter (where hour_start_local >= week_start) as this_week,
            sum(visits) filter (
                where hour_start_local >= week_start - interval 7 day
                and hour_start_local <= as_of - interval 7 day
            ) as this_week_last_week,
            sum(visits) filter (
                where hour_start_local >= week_start - interval 7 day
                and hour_start_local < week_start
            ) as full_week,
            sum(visits) filter (
                where hour_start_local >= week_start - interval 14 day
                and hour_start_local < week_start - interval 7 day
            ) as full_week_before,
            sum(n_ok_hours) filter (where hour_start_local > as_of - interval 7 day)
                as n_ok_hours_7d,
            sum(n_open_sensor_hours) filter (where hour_start_local > as_of - interval 7 day)
                as n_open_sensor_hours_7d
        from hours
        group by store_id
        order by store_id
        """,
        [*stores, *stores, since],
    )


def weekly_trend(q: Query, stores: Sequence[str], measure: str) -> pd.DataFrame:
    """Visits per complete ISO week and store, since each store opened.

    A store's last local date may be partial (data up to its latest hour), so it and its week
    are left out, as is the week of the opening when the store opened after a Monday.
    """
    m = _measure(measure)
    return q(
        f"""
        select
            t.store_id,
            date_trunc('week', t.local_date)::date as week_start,
            sum(coalesce(t.{m}, 0)) as visits,
            count(*) as n_days
        from fct_store_traffic_daily t
        join serving_store_extent e using (store_id)
        where t.store_id in {_in(stores)} and t.local_date < e.last_local_date
        group by all
        having count(*) = 7
        order by store_id, week_start
        """,
        list(stores),
    )


# --------------------------------------------------------------------------------------------
# Store and sensor explorers
# --------------------------------------------------------------------------------------------
# Data quality = 100 * ok open sensor-hours / open sensor-hours; the counts come along so
# that a page can add periods up (failed and missing hours may also fall on closed hours).
_QUALITY_COLUMNS = (
    "n_ok_hours, n_failed_hours, n_anomalous_hours, n_missing_hours, "
    "data_quality_pct::double as data_quality_pct"
)
_STORE_QUALITY = f"{_QUALITY_COLUMNS}, n_open_sensor_hours"
_SENSOR_QUALITY = f"{_QUALITY_COLUMNS}, n_open_hours as n_open_sensor_hours"


def clamp_hourly(start: date, end: date) -> tuple[date, bool]:
    """The start of an hourly view: at most HOURLY_MAX_DAYS days; True when it was cut."""
    earliest = end - timedelta(days=HOURLY_MAX_DAYS - 1)
    return (earliest, True) if start < earliest else (start, False)


# A week of a weekly series: ISO week (Monday to Sunday) of the store-local dates. It is
# partial when the range or the data holds fewer than 7 of its days, or it holds the store's
# latest day while that day is still in progress.
_WEEK_PARTIAL = """
    count(*) < 7 or bool_or(
        t.local_date = e.last_local_date
        and e.last_hour_start_local < e.last_local_date::timestamp + interval 23 hour
    )"""


def store_series(
    q: Query, stores: Sequence[str], start: date, end: date, resolution: str
) -> pd.DataFrame:
    """Visits (raw and clean) and quality per store at daily, weekly or hourly resolution.

    `is_open` says whether the period had open hours (averages count only those); weekly
    rows add `n_days` and `is_partial`.
    """
    if resolution == "daily":
        sql = f"""
            select store_id, local_date::timestamp as period_local, visits_raw, visits_clean,
                n_open_hours > 0 as is_open, {_STORE_QUALITY}
            from fct_store_traffic_daily
            where store_id in {_in(stores)} and local_date between ? and ?
            order by store_id, local_date
        """
    elif resolution == "weekly":
        sql = f"""
            select
                t.store_id,
                date_trunc('week', t.local_date)::timestamp as period_local,
                sum(t.visits_raw) as visits_raw,
                sum(t.visits_clean) as visits_clean,
                sum(t.n_open_hours) > 0 as is_open,
                sum(t.n_ok_hours) as n_ok_hours,
                sum(t.n_failed_hours) as n_failed_hours,
                sum(t.n_anomalous_hours) as n_anomalous_hours,
                sum(t.n_missing_hours) as n_missing_hours,
                100.0 * sum(t.n_ok_hours) / nullif(sum(t.n_open_sensor_hours), 0)
                    as data_quality_pct,
                sum(t.n_open_sensor_hours) as n_open_sensor_hours,
                count(*) as n_days,
                {_WEEK_PARTIAL} as is_partial
            from fct_store_traffic_daily t
            join serving_store_extent e using (store_id)
            where t.store_id in {_in(stores)} and t.local_date between ? and ?
            group by all
            order by t.store_id, period_local
        """
    elif resolution == "hourly":
        sql = f"""
            select store_id, hour_start_local as period_local, hour_start_utc, visits_raw,
                visits_clean, is_open_hour as is_open, {_STORE_QUALITY}
            from fct_store_traffic_hourly
            where store_id in {_in(stores)} and local_date between ? and ?
            order by store_id, hour_start_utc
        """
    else:
        raise ValueError(f"unknown resolution {resolution!r}; use daily, weekly or hourly")
    return q(sql, [*stores, start, end])


def _sensor_filter(sensors: Sequence[str]) -> tuple[str, list[object]]:
    """`where` terms for sensor keys "store:id", grouped by store so DuckDB can prune."""
    by_store: dict[str, list[int]] = {}
    for key in sensors:
        store, _, sensor = key.rpartition(":")
        by_store.setdefault(store, []).append(int(sensor))
    if not by_store:
        return "false", []
    terms, params = [], []
    for store, ids in by_store.items():
        terms.append(f"(store_id = ? and sensor_id in {_in(ids)})")
        params += [store, *ids]
    stores = list(by_store)
    return f"store_id in {_in(stores)} and ({' or '.join(terms)})", [*stores, *params]


def sensor_series(
    q: Query, sensors: Sequence[str], start: date, end: date, resolution: str
) -> pd.DataFrame:
    """Visits and quality per sensor at daily, weekly or hourly resolution (hourly adds the
    status; weekly `n_days` and `is_partial`)."""
    where, params = _sensor_filter(sensors)
    if resolution == "daily":
        sql = f"""
            select store_id, sensor_id, local_date::timestamp as period_local, visits_raw,
                visits_clean, n_open_hours > 0 as is_open, {_SENSOR_QUALITY}
            from fct_sensor_traffic_daily
            where {where} and local_date between ? and ?
            order by store_id, sensor_id, local_date
        """
    elif resolution == "weekly":
        sql = f"""
            select
                t.store_id,
                t.sensor_id,
                date_trunc('week', t.local_date)::timestamp as period_local,
                sum(t.visits_raw) as visits_raw,
                sum(t.visits_clean) as visits_clean,
                sum(t.n_open_hours) > 0 as is_open,
                sum(t.n_ok_hours) as n_ok_hours,
                sum(t.n_failed_hours) as n_failed_hours,
                sum(t.n_anomalous_hours) as n_anomalous_hours,
                sum(t.n_missing_hours) as n_missing_hours,
                100.0 * sum(t.n_ok_hours) / nullif(sum(t.n_open_hours), 0) as data_quality_pct,
                sum(t.n_open_hours) as n_open_sensor_hours,
                count(*) as n_days,
                {_WEEK_PARTIAL} as is_partial
            from fct_sensor_traffic_daily t
            join serving_store_extent e using (store_id)
            where {where} and t.local_date between ? and ?
            group by all
            order by t.store_id, t.sensor_id, period_local
        """
    elif resolution == "hourly":
        sql = f"""
            select store_id, sensor_id, hour_start_local as period_local, hour_start_utc,
                is_open_hour, is_open_hour as is_open, status, visits_raw, visits_expected,
                visits_clean
            from fct_sensor_traffic_hourly
            where {where} and local_date between ? and ?
            order by store_id, sensor_id, hour_start_utc
        """
    else:
        raise ValueError(f"unknown resolution {resolution!r}; use daily, weekly or hourly")
    return q(sql, [*params, start, end])


# --------------------------------------------------------------------------------------------
# Weekday trends
# --------------------------------------------------------------------------------------------
TREND_COLUMNS = ", ".join(TREND_MEASURES)


def weekday_trends(
    q: Query,
    stores: Sequence[str],
    start: date,
    end: date,
    weekday: int,
    hour: int | None = None,
) -> pd.DataFrame:
    """The same-weekday trend measures per store: of each day, or of one local hour of it.

    weekday is an ISO weekday (1 = Monday) or 0 for every day.
    """
    day_filter = "and isodow = ?" if weekday else ""
    day_params = [weekday] if weekday else []
    if hour is None:
        sql = f"""
            select store_id, local_date::timestamp as period_local, isodow, {TREND_COLUMNS}
            from fct_store_traffic_daily
            where store_id in {_in(stores)} and local_date between ? and ? {day_filter}
            order by store_id, local_date
        """
        return q(sql, [*stores, start, end, *day_params])
    sql = f"""
        select store_id, hour_start_local as period_local, isodow, {TREND_COLUMNS}
        from fct_store_traffic_hourly
        where store_id in {_in(stores)} and local_date between ? and ? {day_filter}
            and local_hour = ?
        order by store_id, hour_start_utc
    """
    return q(sql, [*stores, start, end, *day_params, hour])


# --------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------
def quality_grain(start: date, end: date) -> str:
    """Days for up to 5 weeks, weeks beyond: enough points to read, not too many."""
    return "day" if (end - start).days < 7 * 5 else "week"


def quality_over_time(
    q: Query, stores: Sequence[str], start: date, end: date, grain: str
) -> pd.DataFrame:
    """Failed, anomalous and missing sensor-hours and the quality share, per store and period."""
    if grain not in {"day", "week"}:
        raise ValueError(f"unknown grain {grain!r}; use day or week")
    return q(
        f"""
        select
            store_id,
            date_trunc('{grain}', local_date)::timestamp as period_local,
            sum(n_ok_hours) as n_ok_hours,
            sum(n_failed_hours) as n_failed_hours,
            sum(n_anomalous_hours) as n_anomalous_hours,
            sum(n_missing_hours) as n_missing_hours,
            sum(n_open_sensor_hours) as n_open_sensor_hours,
            100.0 * sum(n_ok_hours) / nullif(sum(n_open_sensor_hours), 0) as data_quality_pct
        from fct_store_traffic_daily
        where store_id in {_in(stores)} and local_date between ? and ?
        group by all
        order by store_id, period_local
        """,
        [*stores, start, end],
    )


def quality_by_sensor(q: Query, stores: Sequence[str], start: date, end: date) -> pd.DataFrame:
    """Per sensor over the range: ok, failed, anomalous and missing open hours, the quality
    share, and how much of its clean traffic was estimated (the expected value put in the
    failed, anomalous and missing open hours), worst quality first."""
    return q(
        f"""
        select
            store_id,
            sensor_id,
            count(*) filter (where is_open_hour and status = 'ok') as n_ok_hours,
            count(*) filter (where is_open_hour and status = 'failed') as n_failed_hours,
            count(*) filter (where is_open_hour and status = 'anomalous') as n_anomalous_hours,
            count(*) filter (where is_open_hour and status = 'missing') as n_missing_hours,
            count(*) filter (where is_open_hour) as n_open_sensor_hours,
            100.0 * count(*) filter (where is_open_hour and status = 'ok')
                / nullif(count(*) filter (where is_open_hour), 0) as data_quality_pct,
            coalesce(sum(visits_clean), 0) as visits_clean,
            coalesce(sum(visits_clean) filter (
                where is_open_hour and status in ('failed', 'anomalous', 'missing')
            ), 0) as visits_estimated
        from fct_sensor_traffic_hourly
        where store_id in {_in(stores)} and local_date between ? and ?
        group by all
        order by data_quality_pct nulls last, store_id, sensor_id
        """,
        [*stores, start, end],
    )


def sensor_quality_grid(q: Query, store: str, start: date, end: date, grain: str) -> pd.DataFrame:
    """Bad (failed, anomalous, missing) hours per sensor of one store and period."""
    if grain not in {"day", "week"}:
        raise ValueError(f"unknown grain {grain!r}; use day or week")
    return q(
        f"""
        select
            sensor_id,
            date_trunc('{grain}', local_date)::timestamp as period_local,
            sum(n_failed_hours) as n_failed_hours,
            sum(n_anomalous_hours) as n_anomalous_hours,
            sum(n_missing_hours) as n_missing_hours,
            sum(n_failed_hours + n_anomalous_hours + n_missing_hours) as n_bad_hours
        from fct_sensor_traffic_daily
        where store_id = ? and local_date between ? and ?
        group by all
        order by sensor_id, period_local
        """,
        [store, start, end],
    )


def dbt_tests(q: Query) -> pd.DataFrame:
    """The last build's data and unit tests, problems first."""
    return q(
        """
        select status, test_name, test_type, model, column_name, failures, message,
            execution_time_s
        from serving_dbt_tests
        order by case status when 'pass' then 2 when 'success' then 2 else 1 end,
            model nulls last, test_name
        """,
        (),
    )


def load_runs(q: Query, limit: int = 20) -> pd.DataFrame:
    """The latest load runs, newest first."""
    return q(
        "select load_id, status, started_at, ended_at, window_start_utc, window_end_utc, "
        "n_rows, n_new_rows, n_rejects, duration_s, error "
        "from serving_load_runs order by started_at desc nulls last limit ?",
        [limit],
    )
