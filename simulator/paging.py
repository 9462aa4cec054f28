"""Planning a page of readings: the window cut at the clock, whole hours, opaque cursors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from simulator.timeutil import ceil_hour, floor_hour, hour_to_datetime, iso_z, parse_instant

DEFAULT_PAGE_SIZE = 100_000
MAX_PAGE_SIZE = 1_000_000


class PageError(ValueError):
    """A readings request that cannot be planned (answered 422 with this message)."""


@dataclass(frozen=True)
class Page:
    """Hours [first_hour, end_hour) of one page; next_hour is where the next page starts."""

    start_utc: datetime
    end_utc: datetime
    first_hour: int
    end_hour: int
    window_first_hour: int
    window_last_hour: int
    next_cursor: str | None


def encode_cursor(hour: int) -> str:
    """The opaque cursor of a page starting at `hour`: base64url of its ISO time, unpadded."""
    text = iso_z(hour_to_datetime(hour)).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The hour a cursor points at; PageError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        when = parse_instant(text, "cursor")
    except (ValueError, binascii.Error, UnicodeError):
        raise PageError(
            f"cursor={cursor!r} is not a cursor of this API; pass next_cursor from the previous "
            "page unchanged, with the same other parameters"
        ) from None
    if when.minute or when.second or when.microsecond:
        raise PageError(f"cursor={cursor!r} does not point at an hour start")
    return floor_hour(when)


def plan_page(
    start: str,
    end: str,
    cursor: str | None,
    page_size: int,
    n_sensors: int,
    opening_hour: int,
    ended_before_hour: int,
) -> Page:
    """The hours of the page asked; the window is cut at the opening and at the clock."""
    start_utc = parse_instant(start, "start")
    end_utc = parse_instant(end, "end")
    if start_utc >= end_utc:
        raise PageError(f"start={start!r} must be before end={end!r}")
    if page_size < n_sensors:
        raise PageError(
            f"page_size={page_size} is smaller than one hour of readings ({n_sensors} sensors); "
            f"use at least {n_sensors}"
        )
    window_first = ceil_hour(start_utc)
    window_last = min(ceil_hour(end_utc), ended_before_hour)
    cut_end = min(end_utc, hour_to_datetime(ended_before_hour))
    first = max(window_first, opening_hour)
    if cursor is not None:
        at = decode_cursor(cursor)
        if not first <= at <= max(first, window_last):
            raise PageError(
                f"cursor={cursor!r} points outside the window [{start}, {end}); pass the "
                "same start and end as for the first page"
            )
        first = at
    last = max(first, window_last)
    end_hour = min(last, first + page_size // n_sensors)
    return Page(
        start_utc=start_utc,
        end_utc=max(start_utc, cut_end),
        first_hour=first,
        end_hour=end_hour,
        window_first_hour=window_first,
        window_last_hour=max(window_first, window_last),
        next_cursor=encode_cursor(end_hour) if end_hour < last else None,
    )
