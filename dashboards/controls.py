"""The selection controls of the sidebar, each bound to the URL so that a link shares a view.

Every control is a widget whose key is its query parameter, bound with
``bind="query-params"`` and kept across pages with ``persist_state="session"``. The URL holds
the labels the controls show (``/stores?stores=London&res=Hourly&measure=Raw``). A value
equal to the default is left out of the URL: the defaults follow the data (the last 8 weeks
up to the latest data, every store).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboards import explain, page_data, queries

BOUND = {"bind": "query-params", "persist_state": "session"}


def stores(cat: queries.Catalog, label: str = "Stores") -> list[str]:
    """Stores to show and compare (all by default)."""
    names = cat.store_names()
    return st.sidebar.multiselect(
        label,
        options=cat.store_ids,
        default=cat.store_ids,
        format_func=lambda s: names.get(s, s),
        key="stores",
        help="Choose one or several stores: they share one chart, one colour each.",
        **BOUND,
    )


def dates(cat: queries.Catalog) -> tuple[date, date]:
    """A range of local dates (the last 8 weeks by default)."""
    value = st.sidebar.date_input(
        "Dates (store-local)",
        value=queries.default_range(cat),
        min_value=cat.first_date,
        max_value=cat.last_date,
        key="dates",
        help=f"Data from {cat.first_date:%d %b %Y} to {cat.last_date:%d %b %Y}.",
        **BOUND,
    )
    picked = [v for v in (value if isinstance(value, list | tuple) else [value]) if v]
    if not picked:
        return queries.default_range(cat)
    return picked[0], picked[-1]


def resolution() -> str:
    """Daily or hourly."""
    return st.sidebar.radio(
        "Resolution",
        list(queries.RESOLUTIONS),
        format_func=str.capitalize,
        horizontal=True,
        key="res",
        help=f"Hourly shows at most {queries.HOURLY_MAX_DAYS} days, the last of the range.",
        **BOUND,
    )


def measure() -> str:
    """Clean or raw visits."""
    return st.sidebar.radio(
        "Visits",
        list(queries.MEASURES),
        format_func=str.capitalize,
        horizontal=True,
        key="measure",
        help=explain.MEASURE_HELP,
        **BOUND,
    )


def sensors(cat: queries.Catalog, default_store: str) -> list[str]:
    """Sensors to show and compare, across stores (a few of one store by default)."""
    labels = cat.sensor_labels()
    return st.sidebar.multiselect(
        "Sensors",
        options=cat.sensors.sensor_key.tolist(),
        default=page_data.default_sensors(cat, default_store),
        format_func=lambda k: labels.get(k, k),
        key="sensors",
        help="Choose sensors of one or several stores: they share one chart.",
        **BOUND,
    )


def weekday(cat: queries.Catalog) -> int:
    """An ISO weekday (default: that of the latest complete day, Saturday for a Sunday), 0 = all."""
    default = page_data.default_weekday(cat)
    options = [0, *queries.ISO_WEEKDAYS]
    return st.sidebar.selectbox(
        "Weekday",
        options,
        index=options.index(default),
        format_func=lambda d: f"{queries.ISO_WEEKDAYS[d]}s" if d else "Every day",
        key="weekday",
        help="Compare a weekday with the same weekday of the weeks before.",
        **BOUND,
    )


def hour_of_day() -> int | None:
    """The whole day (None) or one local hour of it."""
    options = ["day", *[f"{h:02d}" for h in range(24)]]
    picked = st.sidebar.selectbox(
        "Hour",
        options,
        format_func=lambda h: "Whole day" if h == "day" else f"{h}:00 to {int(h) + 1:02d}:00",
        key="hour",
        help="Daily totals, or one local hour of the day (hourly marts).",
        **BOUND,
    )
    return None if picked in (None, "day") else int(picked)
