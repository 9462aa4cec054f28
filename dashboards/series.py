"""What the Stores and Sensors pages share: units per resolution, the rounding and tooltips of
a series, and the summary whose averages count open periods only."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import charts, explain, ui

UNITS = {"daily": "day", "weekly": "week", "hourly": "hour"}
# What an average counts: open periods only (closed hours and days would pull it down).
AVERAGED = {"daily": "open day", "weekly": "complete week", "hourly": "open hour"}


def counted(df: pd.DataFrame, resolution: str) -> pd.Series:
    """The rows averages and "busiest" count: open hours, open days, complete open weeks."""
    keep = df["is_open"].fillna(False).astype(bool)
    if resolution == "weekly":
        keep &= ~df["is_partial"].astype(bool)
    return keep


def summary(df: pd.DataFrame, column: str, resolution: str, by: str = "store") -> pd.DataFrame:
    """Per store (or sensor) over the range: total; mean and busiest over open periods only
    (complete weeks for weekly), with how many periods they count; quality."""
    every = df.groupby(by, sort=False)
    open_rows = df[counted(df, resolution)]
    grouped = open_rows.groupby(by, sort=False)
    busiest = open_rows.loc[open_rows[column].fillna(-1).groupby(open_rows[by]).idxmax()]
    out = pd.DataFrame(
        {
            "total": ui.whole(every[column].sum()),
            "n_counted": grouped[column].size(),
            "mean": ui.whole(grouped[column].mean()),
            "busiest": busiest.set_index(by)["when"],
            "peak": ui.whole(grouped[column].max()),
            "data_quality_pct": 100
            * every["n_ok_hours"].sum()
            / every["n_open_sensor_hours"].sum().replace(0, float("nan")),
        }
    )
    out.index.name = by
    return out.reset_index()


def summary_config(measure: str, resolution: str) -> dict[str, object]:
    unit, averaged = UNITS[resolution], AVERAGED[resolution]
    return {
        "store": "Store",
        "sensor": "Sensor",
        "total": st.column_config.NumberColumn(f"Total {measure} visits", format="localized"),
        "n_counted": st.column_config.NumberColumn(
            f"{averaged.capitalize()}s", format="localized", help=f"The {averaged}s averaged."
        ),
        "mean": st.column_config.NumberColumn(
            f"Mean per {averaged}", format="localized", help=f"Over {averaged}s only."
        ),
        "busiest": st.column_config.TextColumn(
            f"Busiest {unit}", help=f"The busiest of the {averaged}s."
        ),
        "peak": st.column_config.NumberColumn("Visits then", format="localized"),
        "data_quality_pct": st.column_config.ProgressColumn(
            "Data quality", format="%.1f %%", min_value=0, max_value=100, help=explain.QUALITY
        ),
    }


def series_tooltip(label: str, resolution: str) -> list[alt.Tooltip]:
    hourly = resolution == "hourly"
    out = [
        alt.Tooltip(f"{label}:N"),
        alt.Tooltip(
            "when:N",
            title="local time"
            if hourly
            else ("week of" if resolution == "weekly" else "local date"),
        ),
        alt.Tooltip("visits_clean:Q", title="clean visits", format=",.0f"),
        alt.Tooltip("visits_raw:Q", title="raw visits", format=",.0f"),
    ]
    if resolution == "weekly":
        out.append(alt.Tooltip("week_note:N", title="days"))
    return out


def prepare(df: pd.DataFrame, resolution: str) -> pd.DataFrame:
    """Round the visits once (as every figure is shown) and add the tooltip texts."""
    df = df.assign(visits_raw=ui.whole(df["visits_raw"]), visits_clean=ui.whole(df["visits_clean"]))
    if "visits_expected" in df:
        df["visits_expected"] = ui.whole(df["visits_expected"])
    df = charts.with_when(df, resolution == "hourly")
    if resolution == "weekly":
        df["when"] = pd.to_datetime(df["period_local"]).dt.strftime("%a %d %b %Y")
        df["week_note"] = [
            f"{n} of 7, partial" if partial else "7 of 7"
            for n, partial in zip(df["n_days"], df["is_partial"], strict=True)
        ]
    return df
