"""Alert episodes (fct_alerts): open and resolved, per rule, store and sensor."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from access.params import Connection, PagingParams, Stores, add_list_route, answer
from access.query import Dataset, Selection, filter_dates, filter_stores

router = APIRouter(prefix="/v1", tags=["alerts"])

ALERTS = Dataset("alerts", "fct_alerts", ("opened_at_utc", "alert_id"), date_column=None)


class Severity(StrEnum):
    warning = "warning"
    critical = "critical"


class Rule(StrEnum):
    silent_sensor = "silent_sensor"
    silent_store = "silent_store"
    sensor_failure_rate = "sensor_failure_rate"
    sensor_anomaly_rate = "sensor_anomaly_rate"
    sensor_traffic_drop = "sensor_traffic_drop"
    store_traffic_drop = "store_traffic_drop"
    store_below_floor = "store_below_floor"


def alerts(
    request: Request,
    con: Connection,
    page: PagingParams,
    stores: Stores = None,
    is_open: Annotated[
        bool | None, Query(description="true: open episodes only; false: resolved only.")
    ] = None,
    severity: Annotated[Severity | None, Query(description="One severity only.")] = None,
    rule: Annotated[Rule | None, Query(description="One rule only.")] = None,
    opened_from: Annotated[
        dt.date | None, Query(description="Opened on or after this UTC date.")
    ] = None,
    opened_to: Annotated[
        dt.date | None, Query(description="Opened on or before this UTC date.")
    ] = None,
) -> Response:
    selection = Selection()
    filter_stores(con, selection, stores)
    filter_dates(selection, "opened_at_utc", opened_from, opened_to, timestamps=True)
    if is_open is not None:
        selection.add("is_open = ?", is_open)
    if severity is not None:
        selection.add("severity = ?", severity.value)
    if rule is not None:
        selection.add("rule = ?", rule.value)
    return answer(request, con, ALERTS, selection, page)


add_list_route(
    router,
    "/alerts",
    ALERTS,
    alerts,
    "Alert episodes",
    "One row per alert episode (rule, severity, store, sensor, opened, last seen, resolved or "
    "null while open, measured value, threshold, message), oldest first.",
)
