"""The stores and their sensors (dim_stores, dim_sensors): the ids the other endpoints take."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from access.params import Connection, PagingParams, Stores, add_list_route, answer
from access.query import Dataset, Selection, filter_stores

router = APIRouter(prefix="/v1", tags=["stores"])

STORES = Dataset("stores", "dim_stores", ("store_id",), date_column=None)
SENSORS = Dataset("sensors", "dim_sensors", ("store_id", "sensor_id"), date_column=None)


def stores(request: Request, con: Connection, page: PagingParams) -> Response:
    return answer(request, con, STORES, Selection(), page)


def sensors(
    request: Request, con: Connection, page: PagingParams, stores: Stores = None
) -> Response:
    selection = Selection()
    filter_stores(con, selection, stores)
    return answer(request, con, SENSORS, selection, page)


add_list_route(
    router, "/stores", STORES, stores, "The stores", "dim_stores: id, name, time zone, hours."
)
add_list_route(
    router, "/sensors", SENSORS, sensors, "The sensors", "dim_sensors: per store, its sensors."
)
