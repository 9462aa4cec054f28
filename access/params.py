"""Query parameters shared by the list endpoints, and the one function that answers them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from access import contracts
from access.deps import config, snapshot_connection
from access.models import list_responses
from access.query import (
    Dataset,
    Format,
    Selection,
    filter_dates,
    filter_sensors,
    filter_stores,
    read_page,
    render,
    snapshot_facts,
)

DEFAULT_LIMIT = 1000
#: The API paths that serve each mart, filled as the list routes are registered (catalogue).
SERVED: dict[str, list[str]] = {}

Stores = Annotated[
    list[str] | None,
    Query(
        description="Store ids (`paris`), repeated or comma-separated; all stores when absent.",
        max_length=100,
    ),
]
Sensors = Annotated[
    list[int] | None,
    Query(description="Sensor numbers within the stores (from 0), repeated.", max_length=100),
]


@dataclass(frozen=True)
class Paging:
    """format, limit and cursor of a list request."""

    format: Format
    limit: int | None
    cursor: str | None


def paging(
    format: Annotated[Format, Query(description="json (default), csv or parquet.")] = Format.json,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description=f"Rows per answer (default {DEFAULT_LIMIT}), at most "
            "FOOTFALL_ACCESS_MAX_ROWS.",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="next_cursor of the previous page."),
    ] = None,
) -> Paging:
    return Paging(format, limit, cursor)


@dataclass(frozen=True)
class LocalDates:
    """The local date range of a request, both ends included."""

    start: dt.date | None
    end: dt.date | None


def local_dates(
    start_date: Annotated[
        dt.date | None, Query(description="First local date (YYYY-MM-DD), included.")
    ] = None,
    end_date: Annotated[
        dt.date | None, Query(description="Last local date (YYYY-MM-DD), included.")
    ] = None,
) -> LocalDates:
    return LocalDates(start_date, end_date)


Connection = Annotated[duckdb.DuckDBPyConnection, Depends(snapshot_connection)]
PagingParams = Annotated[Paging, Depends(paging)]
DateParams = Annotated[LocalDates, Depends(local_dates)]


def answer(
    request: Request,
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    selection: Selection,
    page: Paging,
) -> Response:
    """Read one page of the dataset with the selection and render it in the asked format."""
    max_rows = config(request).max_rows
    result = read_page(
        con,
        dataset,
        selection,
        limit=page.limit or min(DEFAULT_LIMIT, max_rows),
        max_rows=max_rows,
        cursor=page.cursor,
    )
    return render(result, page.format, snapshot_facts(con))


def select(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    stores: list[str] | None,
    dates: LocalDates,
    sensors: list[int] | None = None,
) -> Selection:
    """The store, sensor and local-date filters every traffic-like endpoint has."""
    selection = Selection()
    chosen = filter_stores(con, selection, stores)
    filter_sensors(con, selection, sensors, chosen)
    if dataset.date_column:
        filter_dates(selection, dataset.date_column, dates.start, dates.end)
    return selection


def add_list_route(
    router: APIRouter,
    path: str,
    dataset: Dataset,
    endpoint: Callable[..., Any],
    summary: str,
    description: str,
) -> None:
    """Register a list endpoint with its response model made from the mart's contract."""
    row = contracts.row_model(dataset.table, dataset.names, _row_title(dataset))
    router.add_api_route(
        path,
        endpoint,
        methods=["GET"],
        summary=summary,
        description=description,
        responses=list_responses(dataset, row),
        response_class=Response,
        name=dataset.name,
    )
    served = SERVED.setdefault(dataset.table, [])
    if router.prefix + path not in served:
        served.append(router.prefix + path)


def _row_title(dataset: Dataset) -> str:
    return "".join(part.title() for part in dataset.name.split("_")) + "Row"
