"""Which hours of which store a run reads: the window, the watermark, gaps, chunks.

All times are naive UTC datetimes on hour boundaries; windows are half-open [start, end).

What a store has already got is known from ``raw.load_progress``: every task of every run
records the window it set out to read and how far it got (``done_until_utc``), in the same
transaction as the rows. A run without an explicit window then reads, per store:

- nothing loaded yet: the full history, from the store's first hour up to now;
- otherwise: the hours any earlier run set out to read but did not finish (a run that was
  killed or failed leaves such gaps), plus everything from the watermark (the furthest hour
  done) up to now, starting `overlap` hours before the watermark to catch late data.

An explicit window (--start/--end) is read in full, clipped to [first hour, now).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Task:
    """One unit of work: read [start, end) of one store, page after page."""

    store_id: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / HOUR)


def first_hour_utc(opened_on: date, timezone: str) -> datetime:
    """The store's first hour: local midnight of its opening day, in UTC (naive)."""
    local = datetime(opened_on.year, opened_on.month, opened_on.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals as sorted, disjoint, non-adjacent intervals (empty ones dropped)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: Iterable[Interval], minus: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by `minus`."""
    cut = merge(minus)
    out: list[Interval] = []
    for start, end in merge(intervals):
        cursor = start
        for c_start, c_end in cut:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                out.append((cursor, c_start))
            cursor = max(cursor, c_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(intervals: Iterable[Interval], low: datetime, high: datetime) -> list[Interval]:
    return merge((max(s, low), min(e, high)) for s, e in intervals)


def incremental_windows(
    first_hour: datetime,
    now: datetime,
    intended: Sequence[Interval],
    done: Sequence[Interval],
    overlap_hours: int,
) -> list[Interval]:
    """What a run without a window reads for one store (see the module docstring).

    `intended` are the windows earlier tasks set out to read, `done` the parts they finished.
    """
    if not intended:
        return clip([(first_hour, now)], first_hour, now)
    watermark = max((end for _, end in done), default=min(start for start, _ in intended))
    unfinished = subtract(intended, done)
    recent = (watermark - overlap_hours * HOUR, now)
    return clip([*unfinished, recent], first_hour, now)


def chunk(store_id: str, windows: Iterable[Interval], hours_per_task: int) -> list[Task]:
    """Windows cut into tasks of at most `hours_per_task` hours, so stores load in parallel."""
    step = max(1, hours_per_task) * HOUR
    tasks = []
    for start, end in windows:
        cursor = start
        while cursor < end:
            tasks.append(Task(store_id, cursor, min(end, cursor + step)))
            cursor += step
    return tasks
