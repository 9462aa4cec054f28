"""Weekday trends: each day (or hour) against the same weekday of the weeks before."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from access.params import (
    Connection,
    DateParams,
    PagingParams,
    Stores,
    add_list_route,
    answer,
    select,
)
from access.query import Dataset

router = APIRouter(prefix="/v1/trends", tags=["trends"])

_TRENDS = (
    "visits_clean",
    "visits_clean_ma_4w",
    "n_ma_4w_points",
    "visits_clean_prev_week",
    "visits_clean_wow_pct",
    "ma_4w_wow_pct",
    "deviation_from_ma_4w_pct",
)
DAILY = Dataset(
    "store_trends_daily",
    "fct_store_traffic_daily",
    ("store_id", "local_date"),
    ("store_id", "local_date", "isodow", *_TRENDS),
)
HOURLY = Dataset(
    "store_trends_hourly",
    "fct_store_traffic_hourly",
    ("store_id", "hour_start_utc"),
    (
        "store_id",
        "hour_start_utc",
        "hour_start_local",
        "local_date",
        "local_hour",
        "isodow",
        *_TRENDS,
    ),
)
Weekday = Annotated[
    int | None, Query(ge=1, le=7, description="ISO weekday only (1 = Monday ... 7 = Sunday).")
]


def daily(
    request: Request,
    con: Connection,
    page: PagingParams,
    dates: DateParams,
    stores: Stores = None,
    weekday: Weekday = None,
) -> Response:
    selection = select(con, DAILY, stores, dates)
    if weekday is not None:
        selection.add("isodow = ?", weekday)
    return answer(request, con, DAILY, selection, page)


def hourly(
    request: Request,
    con: Connection,
    page: PagingParams,
    dates: DateParams,
    stores: Stores = None,
    weekday: Weekday = None,
    local_hour: Annotated[
        int | None, Query(ge=0, le=23, description="Local hour only (0-23).")
    ] = None,
) -> Response:
    selection = select(con, HOURLY, stores, dates)
    if weekday is not None:
        selection.add("isodow = ?", weekday)
    if local_hour is not None:
        selection.add("local_hour = ?", local_hour)
    return answer(request, con, HOURLY, selection, page)


_ABOUT = (
    " visits_clean_ma_4w is the mean of d, d-7, d-14 and d-21 by date (absent days left out, "
    "counted in n_ma_4w_points); the week-over-week changes and the deviation are percentages, "
    "null when their divisor is 0 or absent."
)
add_list_route(
    router,
    "/daily",
    DAILY,
    daily,
    "Same-weekday trends per store and local day",
    "Each store's day against the same weekday of the 3 weeks before." + _ABOUT,
)
add_list_route(
    router,
    "/hourly",
    HOURLY,
    hourly,
    "Same-weekday trends per store and hour",
    "Each store's hour against the same weekday and local hour of the 3 weeks before." + _ABOUT,
)
