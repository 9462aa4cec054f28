"""Small pieces shared by the pages: empty selections, CSV downloads, number formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import streamlit as st

from dashboards.queries import HOURLY_MAX_DAYS


def require(items: list, what: str) -> None:
    """Stop the page with a hint when nothing is selected."""
    if not items:
        st.info(f"Choose at least one {what} in the sidebar.", icon=":material/touch_app:")
        st.stop()


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV (UTF-8, ISO dates)."""
    return df.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S").encode()


def download(df: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A button that downloads exactly this table."""
    st.download_button(
        label,
        data=csv_bytes(df),
        file_name=f"footfall_{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"download_{name}",
    )


def pct_change(new: float | None, old: float | None) -> float | None:
    """100 * (new - old) / old, None when old is 0 or absent."""
    if new is None or old is None or pd.isna(new) or pd.isna(old) or old == 0:
        return None
    return 100.0 * (new - old) / old


def signed_pct(value: float | None, suffix: str = "") -> str | None:
    return None if value is None or pd.isna(value) else f"{value:+.1f} %{suffix}"


def age(ts: object, now: datetime | None = None) -> str:
    """How long ago a naive UTC timestamp was, in words ("5 min ago", "3 days ago")."""
    if ts is None or pd.isna(ts):
        return "unknown"
    now = now or datetime.now(UTC).replace(tzinfo=None)
    seconds = (now - pd.Timestamp(ts).to_pydatetime()).total_seconds()
    if seconds < 0:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''} ago"
    return "just now"


def when(ts: object, fmt: str = "%a %d %b %Y %H:%M") -> str:
    return "unknown" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime(fmt)


def table(df: pd.DataFrame, **kwargs: object) -> object:
    """st.dataframe without the index, with a dash for empty cells (sortable by its headers)."""
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("placeholder", "–")
    return st.dataframe(df, **kwargs)


def hourly_cut_notice(start: date, end: date) -> None:
    """Say that the hourly view shows only the last days of the chosen range."""
    st.info(
        f"Hourly resolution shows at most {HOURLY_MAX_DAYS} days: showing "
        f"{start:%d %b %Y} to {end:%d %b %Y}. Narrow the dates or switch to daily.",
        icon=":material/info:",
    )


def whole(values: pd.Series | float) -> pd.Series | float:
    """Visits as shown everywhere: whole numbers, halves rounded up (123,072.5 -> 123,073).

    Pages round their figures with this once, before charts, tooltips and tables, so that a
    tooltip and a table never disagree by one (pandas rounds halves to even, d3 up).
    """
    if isinstance(values, pd.Series):
        return np.floor(values.astype("float64") + 0.5)
    return None if values is None or pd.isna(values) else float(np.floor(values + 0.5))


def notice(text: str) -> None:
    """A visible note about the link: which value was not understood, what is shown instead."""
    st.warning(text, icon=":material/link_off:")
