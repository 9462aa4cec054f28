"""Altair charts of the dashboard, with one colour per store on every page.

Times on the charts are store-local wall-clock times. They travel to the browser as naive
timestamps, so every time scale is a UTC scale: the browser's own time zone never shifts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

# Series colours (one per store or sensor): blues, greens, purples and greys of Tableau 20,
# with no red, orange or brown, which are kept for the statuses below.
PALETTE = (
    "#4e79a7",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#a0cbe8",
    "#8cd17d",
    "#d4a6c8",
    "#499894",
    "#79706e",
    "#86bcb6",
    "#2f4b7c",
    "#3d7a3a",
)
# Status colours (hour statuses, alert severities): never a series colour.
STATUS_COLORS = {
    "failed": "#d62728",
    "anomalous": "#ff7f0e",
    "missing": "#1a1a1a",
    "ok": "#2ca02c",
    "closed": "#c7c7c7",
}
SEVERITY_COLORS = {"critical": "#d62728", "warning": "#ff7f0e"}
HEIGHT = 340
# Visits on an axis: 0, 500, 1.5k, 2M (each label on its own; Vega's shared SI prefix wrote
# "0k" and "0.2M").
SI_LABELS = "datum.value == 0 ? '0' : format(datum.value, '~s')"
# Hourly axes: the date at midnight, the hour on the 24-hour clock otherwise.
HOURLY_LABELS = (
    "utchours(datum.value) == 0 ? utcFormat(datum.value, '%a %d %b')"
    " : utcFormat(datum.value, '%H:%M')"
)


def color_scale(domain: Sequence[str], shown: Sequence[str] | None = None) -> alt.Scale:
    """A fixed colour per name of `domain` (all stores, so colours never move); the scale
    holds only the names `shown` (drawn), so that the legend lists exactly what is drawn."""
    domain = list(domain)
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(domain)}
    keep = domain if shown is None else [n for n in domain if n in set(shown)]
    return alt.Scale(domain=keep, range=[colors[n] for n in keep] or [PALETTE[0]])


def _time_x(field: str, hourly: bool, title: str | None = None) -> alt.X:
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(labelOverlap=True, labelExpr=HOURLY_LABELS) if hourly else alt.Axis(),
    )


def with_when(df: pd.DataFrame, hourly: bool, field: str = "period_local") -> pd.DataFrame:
    """Add `when`: the local time as text for tooltips ("Sat 31 Oct 2026 14:00")."""
    out = df.copy()
    fmt = "%a %d %b %Y %H:%M" if hourly else "%a %d %b %Y"
    out["when"] = pd.to_datetime(out[field]).dt.strftime(fmt)
    return out


def series_lines(
    df: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    color: str,
    color_title: str,
    scale: alt.Scale,
    hourly: bool,
    tooltip: Sequence[alt.Tooltip],
    weekly: bool = False,
    extra: Sequence[alt.Chart] = (),
) -> alt.LayerChart:
    """One line per colour group over local time; click the legend to highlight one.

    The tooltip is that of the point nearest the pointer (a highlighted dot), not only of a
    line under it. Weekly series mark partial weeks (a hollow dot).
    """
    pick = alt.selection_point(fields=[color], bind="legend")
    nearest = alt.selection_point(
        nearest=True, on="pointerover", clear="pointerout", empty=False, name="nearest"
    )
    title = "week (Monday, local)" if weekly else ("local time" if hourly else "local date")
    base = alt.Chart(df).encode(
        x=_time_x("period_local", hourly, title),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(labelExpr=SI_LABELS)),
        color=alt.Color(f"{color}:N", title=color_title, scale=scale),
    )
    lines = (
        base.mark_line(interpolate="linear", strokeWidth=1.6 if hourly else 2.0)
        .encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)))
        .add_params(pick)
    )
    dots = (
        base.mark_point(filled=True, size=70)
        .encode(
            opacity=alt.condition(nearest, alt.value(1.0), alt.value(0.0)),
            tooltip=list(tooltip),
        )
        .add_params(nearest)
    )
    layers = [lines, dots]
    if weekly:
        layers.append(
            base.mark_point(size=45, strokeWidth=1.6).encode(
                fill=alt.condition(
                    "datum.is_partial", alt.value("white"), alt.Color(f"{color}:N", scale=scale)
                ),
                tooltip=list(tooltip),
            )
        )
    # Extra layers (status marks) join this one layer: a layer nested in a layer with these
    # selections never finishes drawing in the browser.
    layers += list(extra)
    return alt.layer(*layers).properties(height=HEIGHT).interactive(bind_y=False)


def status_points(df: pd.DataFrame, *, y: str) -> alt.Chart:
    """Marks on the open hours whose reading was not used as is (failed, anomalous, missing)."""
    bad = df[df["status"].isin(["failed", "anomalous", "missing"]) & df["is_open_hour"]]
    return (
        alt.Chart(bad)
        .mark_point(filled=True, size=45)
        .encode(
            x=_time_x("period_local", True),
            y=alt.Y(f"{y}:Q"),
            shape=alt.Shape("status:N", title="hour status"),
            fill=alt.Fill(
                "status:N",
                title="hour status",
                scale=alt.Scale(
                    domain=["failed", "anomalous", "missing"],
                    range=[STATUS_COLORS[s] for s in ("failed", "anomalous", "missing")],
                ),
            ),
            color=alt.value("#333333"),
            tooltip=[
                alt.Tooltip("sensor:N"),
                alt.Tooltip("when:N", title="local time"),
                alt.Tooltip("status:N"),
                alt.Tooltip("visits_raw:Q", title="raw visits", format=",.0f"),
                alt.Tooltip("visits_expected:Q", title="expected", format=",.0f"),
                alt.Tooltip("visits_clean:Q", title="clean visits", format=",.0f"),
            ],
        )
    )


def weekly_trend(df: pd.DataFrame, scale: alt.Scale, y_title: str) -> alt.Chart:
    """Visits per week since each store opened."""
    pick = alt.selection_point(fields=["store"], bind="legend")
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=1.6)
        .encode(
            x=alt.X("week_start:T", title="week", scale=alt.Scale(type="utc")),
            y=alt.Y("visits:Q", title=y_title, axis=alt.Axis(labelExpr=SI_LABELS)),
            color=alt.Color("store:N", title="store", scale=scale),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
            tooltip=[
                alt.Tooltip("store:N"),
                alt.Tooltip("week:N", title="week of"),
                alt.Tooltip("visits:Q", title=y_title, format=",.0f"),
            ],
        )
        .add_params(pick)
        .properties(height=HEIGHT)
        .interactive(bind_y=False)
    )


def wow_bars(df: pd.DataFrame, scale: alt.Scale) -> alt.Chart:
    """Week-over-week change per store: this week so far and the last full week, side by side."""
    spans = ["this week so far", "last full week"]
    base = alt.Chart(df).encode(
        y=alt.Y("store:N", title=None, sort=list(scale.domain)),
        yOffset=alt.YOffset("span:N", sort=spans),
        tooltip=[
            alt.Tooltip("store:N"),
            alt.Tooltip("span:N", title="span"),
            alt.Tooltip("wow_pct:Q", title="change vs a week before %", format="+.1f"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("wow_pct:Q", title="change from one week earlier (%)"),
        color=alt.Color("store:N", scale=scale, legend=None),
        opacity=alt.Opacity(
            "span:N",
            sort=spans,
            scale=alt.Scale(domain=spans, range=[0.55, 1.0]),
            legend=None,
        ),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11).encode(
        x=alt.X("wow_pct:Q"), text=alt.Text("wow_pct:Q", format="+.1f")
    )
    rule = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#666").encode(x="x:Q")
    return (bars + labels + rule).properties(height=alt.Step(16))


def day_ticks(periods: pd.Series, max_ticks: int = 10) -> list[str]:
    """Axis ticks on the days drawn (every n-th when there are many), as ISO UTC strings
    (the form Vega-Lite draws on a UTC scale in Streamlit; numbers lose their labels)."""
    days = sorted(pd.to_datetime(periods).drop_duplicates())
    step = max(1, -(-len(days) // max_ticks))
    return [d.strftime("%Y-%m-%dT%H:%M:%SZ") for d in days[::step]]


def trend_with_ma(
    df: pd.DataFrame, scale: alt.Scale, ticks: list[str] | None, order: Sequence[str]
) -> alt.FacetChart:
    """Each store's clean visits (points) and their 4-week same-weekday average (line), one
    small chart per store (a facet: one view to draw, however many stores), each with its own
    y axis, every one starting at zero so that a change of a few percent looks like one.
    With `ticks`, the x axes mark only those days (the chosen weekday)."""
    axis = (
        alt.Axis(values=ticks, format="%a %d %b", labelOverlap=True)
        if ticks
        else alt.Axis(format="%d %b", labelOverlap=True)
    )
    x = alt.X("period_local:T", title=None, scale=alt.Scale(type="utc"), axis=axis)
    tooltip = [
        alt.Tooltip("store:N"),
        alt.Tooltip("when:N", title="local date"),
        alt.Tooltip("visits_clean:Q", title="clean visits", format=",.0f"),
        alt.Tooltip("visits_clean_ma_4w:Q", title="4-week average", format=",.0f"),
        alt.Tooltip("n_ma_4w_points:Q", title="days in the average"),
        alt.Tooltip("visits_clean_wow_pct:Q", title="vs a week ago %", format="+.1f"),
        alt.Tooltip("deviation_from_ma_4w_pct:Q", title="vs the average %", format="+.1f"),
    ]
    y = alt.Y(
        "visits_clean:Q",
        title="clean visits",
        scale=alt.Scale(zero=True, nice=True),
        axis=alt.Axis(labelExpr=SI_LABELS, tickCount=4),
    )
    color = alt.Color("store:N", scale=scale, legend=None)
    nearest = alt.selection_point(
        nearest=True, on="pointerover", clear="pointerout", empty=False, name="nearest"
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, opacity=0.75)
        .encode(
            x=x,
            y=y,
            color=color,
            size=alt.condition(nearest, alt.value(120), alt.value(40)),
            tooltip=tooltip,
        )
        .add_params(nearest)
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=2.4)
        .encode(x=x, y=alt.Y("visits_clean_ma_4w:Q"), color=color)
    )
    return (
        alt.layer(line, points, data=df)
        .properties(height=150, width=340)
        .facet(
            facet=alt.Facet("store:N", title=None, sort=list(order)),
            columns=2,
        )
        .resolve_scale(y="independent")
    )


def window_change(df: pd.DataFrame) -> tuple[float | None, int]:
    """The change of the 4-week average from the first to the last day of the window, in %,
    and the whole weeks between them."""
    ma = df.dropna(subset=["visits_clean_ma_4w"]).sort_values("period_local")
    if len(ma) < 2 or ma["visits_clean_ma_4w"].iloc[0] == 0:
        return None, 0
    first, last = ma["visits_clean_ma_4w"].iloc[0], ma["visits_clean_ma_4w"].iloc[-1]
    days = (ma["period_local"].iloc[-1] - ma["period_local"].iloc[0]).days
    return 100.0 * (last - first) / first, round(days / 7)


def color_of(scale: alt.Scale, name: str) -> str:
    """The colour the scale gives a name."""
    domain, colors = list(scale.domain), list(scale.range)
    return colors[domain.index(name)] if name in domain else PALETTE[0]


def pct_lines(
    df: pd.DataFrame,
    *,
    y: str,
    y_title: str,
    scale: alt.Scale,
    hourly: bool,
    ticks: list[str] | None = None,
) -> alt.LayerChart:
    """A percentage per store over time with the zero line; tooltip of the nearest point."""
    axis = alt.Axis(values=ticks, format="%a %d %b", labelOverlap=True) if ticks else alt.Axis()
    nearest = alt.selection_point(
        nearest=True, on="pointerover", clear="pointerout", empty=False, name="nearest"
    )
    base = alt.Chart(df).encode(
        x=alt.X("period_local:T", title="local date", scale=alt.Scale(type="utc"), axis=axis),
        y=alt.Y(f"{y}:Q", title=y_title),
        color=alt.Color("store:N", title="store", scale=scale),
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=28), strokeWidth=1.6)
    dots = (
        base.mark_point(filled=True, size=90)
        .encode(
            opacity=alt.condition(nearest, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("store:N"),
                alt.Tooltip("when:N", title="local date"),
                alt.Tooltip(f"{y}:Q", title=y_title, format="+.1f"),
            ],
        )
        .add_params(nearest)
    )
    rule = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#666").encode(y="y:Q")
    return alt.layer(rule, lines, dots).properties(height=260)


def bad_hours_bars(df: pd.DataFrame, grain: str) -> alt.Chart:
    """Failed, anomalous and missing sensor-hours per period, stacked."""
    step = pd.Timedelta(days=7 if grain == "week" else 1)
    long = df.assign(period_end=df["period_local"] + step * 0.9).melt(
        id_vars=["period_local", "period_end", "when"],
        value_vars=["n_failed_hours", "n_anomalous_hours", "n_missing_hours"],
        var_name="kind",
        value_name="hours",
    )
    long["kind"] = long["kind"].str.removeprefix("n_").str.removesuffix("_hours")
    kinds = ["failed", "anomalous", "missing"]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=_time_x("period_local", False, "local date"),
            x2="period_end:T",
            y=alt.Y("sum(hours):Q", title="sensor-hours", stack=True),
            color=alt.Color(
                "kind:N",
                title="hour status",
                scale=alt.Scale(domain=kinds, range=[STATUS_COLORS[k] for k in kinds]),
            ),
            tooltip=[
                alt.Tooltip("when:N", title="period"),
                alt.Tooltip("kind:N", title="status"),
                alt.Tooltip("sum(hours):Q", title="sensor-hours", format=",.0f"),
            ],
        )
        .properties(height=260)
    )


def quality_lines(df: pd.DataFrame, scale: alt.Scale) -> alt.Chart:
    """The data-quality share per store over time."""
    return (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=24), strokeWidth=1.6)
        .encode(
            x=_time_x("period_local", False, "local date"),
            y=alt.Y(
                "data_quality_pct:Q", title="ok open sensor-hours (%)", scale=alt.Scale(zero=False)
            ),
            color=alt.Color("store:N", title="store", scale=scale),
            tooltip=[
                alt.Tooltip("store:N"),
                alt.Tooltip("when:N", title="period"),
                alt.Tooltip("data_quality_pct:Q", title="data quality %", format=".1f"),
            ],
        )
        .properties(height=260)
    )


def sensor_grid(df: pd.DataFrame, grain: str) -> alt.Chart:
    """Bad hours per sensor and period: a heat map, darker is worse."""
    out = df.assign(period_end=df["period_local"] + pd.Timedelta(days=7 if grain == "week" else 1))
    return (
        alt.Chart(out)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=_time_x("period_local", False, "local date"),
            x2="period_end:T",
            y=alt.Y("sensor:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                "n_bad_hours:Q",
                title="bad hours",
                scale=alt.Scale(scheme="orangered", domainMin=0),
            ),
            tooltip=[
                alt.Tooltip("sensor:N"),
                alt.Tooltip("when:N", title="period"),
                alt.Tooltip("n_failed_hours:Q", title="failed"),
                alt.Tooltip("n_anomalous_hours:Q", title="anomalous"),
                alt.Tooltip("n_missing_hours:Q", title="missing"),
            ],
        )
        .properties(height=alt.Step(20))
    )
