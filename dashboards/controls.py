"""The selection controls of the sidebar, each bound to the URL so that a link shares a view.

Every control is a widget whose key is its query parameter, bound with
``bind="query-params"`` and kept across pages with ``persist_state="session"``. The URL holds
the labels the controls show (``/stores?stores=London&res=Hourly&measure=Raw``). A value
equal to the default is left out of the URL: the defaults follow the data (the last 8 weeks
up to the latest data, every store, or the biggest movers of a large chain).

A link whose value a control cannot use (an unknown store, a malformed date, an unknown
option, a reversed range) never passes silently: the page shows a notice naming the value and
what it shows instead (`ui.notice`). Streamlit drops such a value from the URL when the widget
reads it, so each control looks at what the link asked before creating its widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import streamlit as st

from dashboards import explain, page_data, queries, ui

BOUND = {"bind": "query-params", "persist_state": "session"}


def _asked(key: str) -> list[str]:
    """The values the URL gives a control, read before its widget (which drops bad ones)."""
    return st.query_params.get_all(key)


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"“{v}”" for v in values)


def _check_option(key: str, asked: list[str], labels: Sequence[str], what: str, shown: str) -> None:
    """A notice when the link's value for a one-choice control is not one of its options."""
    unknown = [a for a in asked if a not in set(labels)]
    if unknown:
        options = ", ".join(labels) if len(labels) <= 8 else f"{labels[0]}, {labels[1]}, …"
        ui.notice(
            f"The link asks for {what} {_quoted(unknown)}, which is not an option "
            f"({options}): showing {shown}."
        )


def describe_stores(cat: queries.Catalog, chosen: Sequence[str]) -> str:
    """A short phrase for a selection of stores ("London and Madrid", "all 100 stores")."""
    names = cat.store_names()
    if len(chosen) == len(cat.store_ids):
        return (
            f"all {len(chosen)} stores"
            if len(chosen) > 2
            else " and ".join(names[s] for s in chosen)
        )
    labels = [names.get(s, s) for s in chosen]
    if len(labels) > 6:
        return f"{len(labels)} stores ({', '.join(labels[:5])}, …)"
    return (
        ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]
        if labels
        else "no store"
    )


def stores(cat: queries.Catalog, label: str = "Stores") -> list[str]:
    """Stores to show and compare: every store of a small chain, the biggest movers of a
    large one (those whose last full week changed most from the week before)."""
    labels = cat.store_labels()
    asked = _asked("stores")
    default = page_data.default_stores(cat)
    large = len(cat.store_ids) > len(default)
    chosen = st.sidebar.multiselect(
        label,
        options=cat.store_ids,
        default=default,
        format_func=lambda s: labels.get(s, s),
        key="stores",
        placeholder="Type a store, city or country",
        help=(
            "Choose one or several stores (type to search by name, city or country): they "
            "share one chart, one colour each."
            + (
                f" By default the {len(default)} stores whose last full week changed most "
                "from the week before."
                if large
                else ""
            )
        ),
        **BOUND,
    )
    unknown = [a for a in asked if a not in set(labels.values())]
    if unknown:
        ui.notice(
            f"The link asks for {'a store' if len(unknown) == 1 else 'stores'} "
            f"{_quoted(unknown)} that this snapshot does not have: showing "
            f"{describe_stores(cat, chosen)}."
        )
    return chosen


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def dates(cat: queries.Catalog) -> tuple[date, date]:
    """A range of local dates (the last 8 weeks by default)."""
    asked = _asked("dates")
    default = queries.default_range(cat)
    value = st.sidebar.date_input(
        "Dates (store-local)",
        value=default,
        min_value=cat.first_date,
        max_value=cat.last_date,
        key="dates",
        help=f"Data from {cat.first_date:%d %b %Y} to {cat.last_date:%d %b %Y}.",
        **BOUND,
    )
    picked = [v for v in (value if isinstance(value, list | tuple) else [value]) if v]
    start, end = (picked[0], picked[-1]) if picked else default
    parsed = [_parse_date(a) for a in asked]
    malformed = [a for a, d in zip(asked, parsed, strict=True) if d is None]
    if malformed:
        start, end = default if len(malformed) == len(asked) else (start, end)
        ui.notice(
            f"The link's date {_quoted(malformed)} is not a date (write it as YYYY-MM-DD): "
            f"showing {start:%d %b %Y} to {end:%d %b %Y}."
        )
    elif len(parsed) == 2 and parsed[0] > parsed[1]:
        start, end = sorted((max(parsed[1], cat.first_date), min(parsed[0], cat.last_date)))
        ui.notice(
            f"The link's dates run backwards ({parsed[0]:%d %b %Y} to {parsed[1]:%d %b %Y}): "
            f"showing {start:%d %b %Y} to {end:%d %b %Y}."
        )
    elif parsed and (min(parsed) < cat.first_date or max(parsed) > cat.last_date):
        ui.notice(
            f"The link's dates ({' to '.join(f'{d:%d %b %Y}' for d in parsed)}) reach beyond "
            f"the data ({cat.first_date:%d %b %Y} to {cat.last_date:%d %b %Y}): showing "
            f"{start:%d %b %Y} to {end:%d %b %Y}."
        )
    if start > end:
        start, end = end, start
    return start, end


def resolution() -> str:
    """Daily, weekly or hourly."""
    asked = _asked("res")
    picked = st.sidebar.radio(
        "Resolution",
        list(queries.RESOLUTIONS),
        format_func=str.capitalize,
        horizontal=True,
        key="res",
        help=(
            "Weekly: ISO weeks (Monday to Sunday) of store-local dates; a partial week (cut "
            "by the range, or still in progress) is a hollow dot. Hourly shows at most "
            f"{queries.HOURLY_MAX_DAYS} days, the last of the range."
        ),
        **BOUND,
    )
    labels = [r.capitalize() for r in queries.RESOLUTIONS]
    _check_option("res", asked, labels, "the resolution", picked.capitalize())
    return picked


def measure() -> str:
    """Clean or raw visits."""
    asked = _asked("measure")
    picked = st.sidebar.radio(
        "Visits",
        list(queries.MEASURES),
        format_func=str.capitalize,
        horizontal=True,
        key="measure",
        help=explain.MEASURE_HELP,
        **BOUND,
    )
    labels = [m.capitalize() for m in queries.MEASURES]
    _check_option("measure", asked, labels, "the visits", f"{picked.capitalize()} visits")
    return picked


def sensors(cat: queries.Catalog, default_store: str) -> list[str]:
    """Sensors to show and compare, across stores (a few of one store by default)."""
    labels = cat.sensor_labels()
    asked = _asked("sensors")
    chosen = st.sidebar.multiselect(
        "Sensors",
        options=cat.sensors.sensor_key.tolist(),
        default=page_data.default_sensors(cat, default_store),
        format_func=lambda k: labels.get(k, k),
        key="sensors",
        help="Choose sensors of one or several stores (type to search): they share one chart.",
        placeholder="Type a store or door",
        **BOUND,
    )
    unknown = [a for a in asked if a not in set(labels.values())]
    if unknown:
        shown = ", ".join(labels.get(k, k) for k in chosen[:6]) or "no sensor"
        ui.notice(
            f"The link asks for {'a sensor' if len(unknown) == 1 else 'sensors'} "
            f"{_quoted(unknown)} that this snapshot does not have: showing {shown}."
        )
    return chosen


def weekday(cat: queries.Catalog) -> int:
    """An ISO weekday (default: that of the latest complete day, Saturday for a Sunday), 0 = all."""
    default = page_data.default_weekday(cat)
    options = [0, *queries.ISO_WEEKDAYS]
    asked = _asked("weekday")

    def label(d: int) -> str:
        return f"{queries.ISO_WEEKDAYS[d]}s" if d else "Every day"

    picked = st.sidebar.selectbox(
        "Weekday",
        options,
        index=options.index(default),
        format_func=label,
        key="weekday",
        help="Compare a weekday with the same weekday of the weeks before.",
        **BOUND,
    )
    _check_option("weekday", asked, [label(d) for d in options], "the weekday", label(picked))
    return picked


def hour_of_day() -> int | None:
    """The whole day (None) or one local hour of it."""
    options = ["day", *[f"{h:02d}" for h in range(24)]]
    asked = _asked("hour")

    def label(h: str) -> str:
        return "Whole day" if h == "day" else f"{h}:00 to {int(h) + 1:02d}:00"

    picked = st.sidebar.selectbox(
        "Hour",
        options,
        format_func=label,
        key="hour",
        help="Daily totals, or one local hour of the day (hourly marts).",
        **BOUND,
    )
    _check_option(
        "hour", asked, [label(h) for h in options], "the hour", label(picked or "day").lower()
    )
    return None if picked in (None, "day") else int(picked)
