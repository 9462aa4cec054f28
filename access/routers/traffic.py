"""Traffic at the four resolutions: per store or per sensor, per local day or per hour."""

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

router = APIRouter(prefix="/v1/traffic", tags=["traffic"])

STORE_DAILY = Dataset("store_traffic_daily", "fct_store_traffic_daily", ("store_id", "local_date"))
STORE_HOURLY = Dataset(
    "store_traffic_hourly", "fct_store_traffic_hourly", ("store_id", "hour_start_utc")
)
SENSOR_DAILY = Dataset(
    "sensor_traffic_daily", "fct_sensor_traffic_daily", ("store_id", "sensor_id", "local_date")
)
SENSOR_HOURLY = Dataset(
    "sensor_traffic_hourly",
    "fct_sensor_traffic_hourly",
    ("store_id", "sensor_id", "hour_start_utc"),
)
_FILTERS = (
    " Filter by stores and by local dates (start_date, end_date, both included); rows in key "
    "order, paged with the cursor."
)


def store_daily(
    request: Request, con: Connection, page: PagingParams, dates: DateParams, stores: Stores = None
) -> Response:
    return answer(request, con, STORE_DAILY, select(con, STORE_DAILY, stores, dates), page)


def store_hourly(
    request: Request, con: Connection, page: PagingParams, dates: DateParams, stores: Stores = None
) -> Response:
    return answer(request, con, STORE_HOURLY, select(con, STORE_HOURLY, stores, dates), page)


def sensor_daily(
    request: Request,
    con: Connection,
    page: PagingParams,
    dates: DateParams,
    stores: Stores = None,
    sensors: Sensors = None,
) -> Response:
    selection = select(con, SENSOR_DAILY, stores, dates, sensors)
    return answer(request, con, SENSOR_DAILY, selection, page)


def sensor_hourly(
    request: Request,
    con: Connection,
    page: PagingParams,
    dates: DateParams,
    stores: Stores = None,
    sensors: Sensors = None,
) -> Response:
    selection = select(con, SENSOR_HOURLY, stores, dates, sensors)
    return answer(request, con, SENSOR_HOURLY, selection, page)


add_list_route(
    router,
    "/stores/daily",
    STORE_DAILY,
    store_daily,
    "Store traffic per local day",
    "fct_store_traffic_daily: per store and local day, raw and clean visits, sensor-hours by "
    "status, data quality and the same-weekday trends." + _FILTERS,
)
add_list_route(
    router,
    "/stores/hourly",
    STORE_HOURLY,
    store_hourly,
    "Store traffic per hour",
    "fct_store_traffic_hourly: per store and UTC hour (local time beside)." + _FILTERS,
)
add_list_route(
    router,
    "/sensors/daily",
    SENSOR_DAILY,
    sensor_daily,
    "Sensor traffic per local day",
    "fct_sensor_traffic_daily: per sensor and local day." + _FILTERS + " `sensors` picks "
    "sensor numbers within the chosen stores.",
)
add_list_route(
    router,
    "/sensors/hourly",
    SENSOR_HOURLY,
    sensor_hourly,
    "Sensor traffic per hour",
    "fct_sensor_traffic_hourly: per sensor and UTC hour, with the hour's status and expected "
    "value." + _FILTERS + " `sensors` picks sensor numbers within the chosen stores.",
)
