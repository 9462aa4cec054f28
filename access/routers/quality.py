"""Data quality per store and per sensor: sensor-hours by status and the data-quality share."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from access.params import (
    Connection,
    DateParams,
    PagingParams,
    Sensors,
    Stores,
    add_list_route,
    answer,
    select,
)
from access.query import Dataset

router = APIRouter(prefix="/v1/quality", tags=["data quality"])

_COUNTS = ("n_ok_hours", "n_failed_hours", "n_anomalous_hours", "n_missing_hours")
STORES = Dataset(
    "store_quality_daily",
    "fct_store_traffic_daily",
    ("store_id", "local_date"),
    ("store_id", "local_date", "n_sensors", "n_open_sensor_hours", *_COUNTS, "data_quality_pct"),
)
SENSORS = Dataset(
    "sensor_quality_daily",
    "fct_sensor_traffic_daily",
    ("store_id", "sensor_id", "local_date"),
    ("store_id", "sensor_id", "local_date", "n_open_hours", *_COUNTS, "data_quality_pct"),
)


def stores_quality(
    request: Request, con: Connection, page: PagingParams, dates: DateParams, stores: Stores = None
) -> Response:
    return answer(request, con, STORES, select(con, STORES, stores, dates), page)


def sensors_quality(
    request: Request,
    con: Connection,
    page: PagingParams,
    dates: DateParams,
    stores: Stores = None,
    sensors: Sensors = None,
) -> Response:
    return answer(request, con, SENSORS, select(con, SENSORS, stores, dates, sensors), page)


_ABOUT = (
    " data_quality_pct = 100 x ok open sensor-hours / open sensor-hours (null on closed days);"
    " the n_*_hours count sensor-hours by status."
)
add_list_route(
    router,
    "/stores",
    STORES,
    stores_quality,
    "Data quality per store and local day",
    "Per store and local day, its sensor-hours by status and its data quality." + _ABOUT,
)
add_list_route(
    router,
    "/sensors",
    SENSORS,
    sensors_quality,
    "Data quality per sensor and local day",
    "Per sensor and local day, its hours by status and its data quality." + _ABOUT,
)
