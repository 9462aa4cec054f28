"""What each page reads from the snapshot, in one call per page.

The pages call these with the user's selection; `bench/dashboard.py` calls them with the
default selection to time each page's queries, so the benchmark measures what the pages run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dashboards import attention, queries
from dashboards.queries import Catalog, Query
from footfall.alerts import history


@dataclass(frozen=True)
class Selection:
    """A page's selection (each page uses the parts it shows)."""

    stores: tuple[str, ...]
    start: date
    end: date
    resolution: str = "daily"
    measure: str = "clean"
    sensors: tuple[str, ...] = ()
    weekday: int = 0
    hour: int | None = None
    quality_store: str | None = None


def default_weekday(cat: Catalog) -> int:
    """The weekday of the latest complete day (Saturday instead of a Sunday)."""
    latest = cat.last_date - timedelta(days=1)
    return latest.isoweekday() if latest.isoweekday() != 7 else 6


def default_stores(cat: Catalog) -> list[str]:
    """Every store of a small chain; in a large one the biggest movers, those whose last full
    week changed most from the week before (either way), in the catalog's order."""
    if not cat.is_large:
        return cat.store_ids
    movers = cat.stores["last_week_pct"].abs().sort_values(ascending=False, na_position="last")
    top = set(cat.stores.loc[movers.index[: queries.LARGE_CHAIN], "store_id"])
    return [s for s in cat.store_ids if s in top]


def largest_store(cat: Catalog, stores: Sequence[str]) -> str:
    """The store with the most sensors among `stores` (the first of them on a tie)."""
    known = cat.stores.set_index("store_id")["n_sensors"]
    chosen = [s for s in stores if s in known.index] or cat.store_ids
    return max(chosen, key=lambda s: (known[s], -chosen.index(s)))


def default_sensors(cat: Catalog, store: str, n: int = 6) -> list[str]:
    """The first sensors of a store."""
    return cat.sensors_of([store])[:n]


def default_selection(cat: Catalog, **changes: object) -> Selection:
    """What a page shows before the user chooses anything (every store, the last 8 weeks)."""
    start, end = queries.default_range(cat)
    stores = default_stores(cat)
    first = largest_store(cat, stores)
    base = Selection(
        stores=tuple(stores),
        start=start,
        end=end,
        sensors=tuple(default_sensors(cat, first)),
        weekday=default_weekday(cat),
        quality_store=first,
    )
    return Selection(**{**base.__dict__, **changes})


def hourly_start(sel: Selection) -> tuple[date, bool]:
    """The first day an hourly view shows, and whether the range was cut to fit."""
    if sel.resolution != "hourly":
        return sel.start, False
    return queries.clamp_hourly(sel.start, sel.end)


def attention_now(q: Query, cat: Catalog) -> dict[str, pd.DataFrame]:
    """What needs attention over the whole chain: open alerts, silent doors, stores below
    their usual (the first screen's first section)."""
    everyone = cat.store_ids
    return {
        "open": attention.alerts(q, everyone, only_open=True),
        "silent": attention.silent_doors(q, everyone),
        "below": attention.below_usual(q, everyone),
    }


def overview(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    return {
        **attention_now(q, cat),
        "kpis": queries.overview_kpis(q, cat, sel.stores, sel.measure),
        "weekly": queries.weekly_trend(q, sel.stores, sel.measure),
    }


def stores(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    start, _ = hourly_start(sel)
    return {"series": queries.store_series(q, sel.stores, start, sel.end, sel.resolution)}


def sensors(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    start, _ = hourly_start(sel)
    return {"series": queries.sensor_series(q, sel.sensors, start, sel.end, sel.resolution)}


def trends(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    return {
        "trends": queries.weekday_trends(q, sel.stores, sel.start, sel.end, sel.weekday, sel.hour)
    }


def quality(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    grain = queries.quality_grain(sel.start, sel.end)
    out = {
        "over_time": queries.quality_over_time(q, sel.stores, sel.start, sel.end, grain),
        "by_sensor": queries.quality_by_sensor(q, sel.stores, sel.start, sel.end),
        "silent": attention.silent_doors(q, sel.stores),
        "tests": queries.dbt_tests(q),
        "load_runs": queries.load_runs(q),
    }
    if not history.missing_tables(q):
        out["open"] = attention.alerts(q, sel.stores, only_open=True)
    if sel.quality_store:
        out["grid"] = queries.sensor_quality_grid(q, sel.quality_store, sel.start, sel.end, grain)
    return out


def alerts(q: Query, cat: Catalog, sel: Selection) -> dict[str, pd.DataFrame]:
    """What the Alerts page reads: open alerts, episodes, store and sensor health."""
    return {
        "open": attention.alerts(q, sel.stores, only_open=True),
        "episodes": attention.alerts(q, sel.stores, start=sel.start, end=sel.end),
        "store_health": history.store_health(q, sel.stores, sel.start, sel.end),
        "sensor_health": history.sensor_health(q, sel.stores[0], sel.start, sel.end),
    }


PAGES: dict[str, object] = {
    "overview": overview,
    "stores": stores,
    "sensors": sensors,
    "trends": trends,
    "quality": quality,
    "alerts": alerts,
}


def page_names() -> Sequence[str]:
    return list(PAGES)
