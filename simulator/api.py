"""The HTTP API of the simulator (docs/contracts.md section 1), built by `create_app()`."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from footfall.settings import SimulatorSettings
from simulator.admin import router as admin_router
from simulator.faults import FaultMiddleware, add_row_faults
from simulator.legacy import (
    LegacyEndpoint,
    LegacyError,
    Params,
    find_store,
    legacy_value,
    parse_params,
)
from simulator.model import simulate
from simulator.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageError, plan_page
from simulator.state import SimulatorState
from simulator.timeutil import iso_z

_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


# Query parameters shared by the readings and truth endpoints.
StoreQ = Annotated[str, Query(description="a store id, e.g. paris")]
StartQ = Annotated[
    str,
    Query(description="window start (UTC hour starts >= start), ISO 8601: 2024-01-01T00:00:00Z"),
]
EndQ = Annotated[str, Query(description="window end (exclusive), ISO 8601; cut at now")]
SensorQ = Annotated[int | None, Query(ge=0, description="only this sensor")]
SizeQ = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description="most readings per page (whole hours)"),
]
CursorQ = Annotated[str | None, Query(description="next_cursor of the previous page")]


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one readable sentence per parameter."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        got = err.get("input")
        shown = "" if got is None or isinstance(got, dict) else f" (got {repr(got)[:40]})"
        parts.append(f"{where}: {err.get('msg', 'invalid')}{shown}")
    return "; ".join(parts) or "invalid request"


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(body, option=_JSON_OPTIONS), status_code, media_type="application/json"
    )


def create_app(settings: SimulatorSettings | None = None) -> FastAPI:
    """The simulator's FastAPI application, with its own state (from the environment if None)."""
    state = SimulatorState(settings or SimulatorSettings.from_env())
    app = FastAPI(
        title="footfall sensor API (simulator)",
        version="1.0",
        description="A store chain's door-sensor API, simulated: see docs/simulator.md.",
    )
    app.state.sim = state
    app.include_router(admin_router)

    def original_answer(params: Params) -> int:
        """The original endpoint's integer for parsed parameters (LegacyError if none)."""
        name, year, month, day, hour, sensor_id = params
        return legacy_value(
            find_store(state.stores, name),
            year,
            month,
            day,
            hour,
            sensor_id,
            state.config,
            state.clock.now().timestamp(),
        )

    # The original endpoint's fast path, inside the faults (which touch it too).
    app.state.original_answer = original_answer
    app.add_middleware(LegacyEndpoint, answer=original_answer)
    app.add_middleware(FaultMiddleware, current=lambda: state.faults, rand=state.rand)

    @app.exception_handler(LegacyError)
    async def _legacy_error(_: Request, exc: LegacyError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(PageError)
    async def _page_error(_: Request, exc: PageError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Liveness, the simulator's now and what it simulates."""
        return {
            "status": "ok",
            "now_utc": iso_z(state.clock.now()),
            "clock": state.clock.mode,
            "profile": state.config.profile.name,
            "profile_off": list(state.settings.profile_off),
            "n_stores": len(state.stores),
        }

    @app.get("/api/v1/stores", tags=["stores"])
    def stores() -> Response:
        """Every store of the chain."""
        return _json({"stores": [s.as_api() for s in state.stores.values()]})

    @app.get("/api/v1/stores/{store_id}", tags=["stores"])
    def store(store_id: str) -> Response:
        """One store; 404 if unknown."""
        return _json(state.store(store_id).as_api())

    @app.get("/api/v1/stores/{store_id}/sensors", tags=["stores"])
    def sensors(store_id: str) -> Response:
        """The sensors of a store, numbered 0 to n-1."""
        return _json({"sensors": state.store(store_id).sensors_api()})

    def readings_page(
        store_id: str,
        start: str,
        end: str,
        sensor_id: int | None,
        page_size: int,
        cursor: str | None,
        truth: bool,
    ) -> Response:
        s = state.store(store_id)
        if sensor_id is not None and sensor_id >= s.n_sensors:
            raise HTTPException(
                404,
                f"store {store_id!r} has sensors 0 to {s.n_sensors - 1}; "
                f"sensor_id={sensor_id} does not exist",
            )
        try:
            page = plan_page(
                start,
                end,
                cursor,
                page_size,
                1 if sensor_id is not None else s.n_sensors,
                s.opening_hour_index,
                state.clock.ended_hours(),
            )
        except ValueError as exc:
            raise PageError(str(exc)) from None
        sensors = np.arange(s.n_sensors) if sensor_id is None else np.array([sensor_id])
        hours = np.arange(page.first_hour, page.end_hour, dtype=np.int64)
        grid = simulate(s, hours, sensors, state.config, truth=truth)
        columns: dict[str, Any] = grid.columns(truth=truth)
        if not truth:
            faults = state.faults
            if faults.share_duplicates or faults.share_bad_rows:
                columns = add_row_faults(
                    columns,
                    faults,
                    state.rand,
                    s.n_sensors,
                    (page.window_first_hour, page.window_last_hour),
                )
        body = {
            "store_id": s.store_id,
            "start_utc": iso_z(page.start_utc),
            "end_utc": iso_z(page.end_utc),
            "n_readings": len(columns["visits"]),
            "next_cursor": page.next_cursor,
            "readings": columns,
        }
        if truth:
            columns["status"] = columns["status"].tolist()
        return _json(body)

    @app.get("/api/v1/readings", tags=["readings"])
    def readings(
        store_id: StoreQ,
        start: StartQ,
        end: EndQ,
        sensor_id: SensorQ = None,
        page_size: SizeQ = DEFAULT_PAGE_SIZE,
        cursor: CursorQ = None,
    ) -> Response:
        """A page of a store's readings over a UTC window, columnar (docs/contracts.md)."""
        return readings_page(store_id, start, end, sensor_id, page_size, cursor, truth=False)

    @app.get("/api/v1/truth", tags=["readings"])
    def truth(
        store_id: StoreQ,
        start: StartQ,
        end: EndQ,
        sensor_id: SensorQ = None,
        page_size: SizeQ = DEFAULT_PAGE_SIZE,
        cursor: CursorQ = None,
    ) -> Response:
        """Ground truth: the readings plus `status` and `visits_true`, outage hours included."""
        return readings_page(store_id, start, end, sensor_id, page_size, cursor, truth=True)

    @app.get("/", tags=["original"])
    def original(
        store_name: Annotated[str, Query(description="store name or id, e.g. Paris")],
        year: Annotated[int, Query(ge=1, le=9999)],
        month: Annotated[int, Query(ge=1, le=12)],
        day: Annotated[int, Query(ge=1, le=31)],
        hour: Annotated[int, Query(ge=0, le=23, description="local hour 0-23")],
        sensor_id: Annotated[int | None, Query(ge=0)] = None,
    ) -> int:
        """The original endpoint: one integer (docs/contracts.md section 1 says what each means).

        GET requests are answered by the LegacyEndpoint fast path before they reach this
        route; it documents the endpoint in the OpenAPI schema and gives the same answers.
        """
        params = {"store_name": store_name, "year": year, "month": month, "day": day}
        params |= {"hour": hour} | ({} if sensor_id is None else {"sensor_id": sensor_id})
        return original_answer(parse_params({k: str(v) for k, v in params.items()}))

    return app


class ServingApp:
    """What uvicorn serves: `GET /` (the original endpoint) answered before FastAPI's stack.

    The original protocol costs one request per reading, so its path is kept short: the fault
    injection, then the endpoint's own parsing and the model; every other request goes to the
    FastAPI application, which also answers `GET /` itself (in-process clients, same answers).
    """

    def __init__(self, app: FastAPI) -> None:
        state: SimulatorState = app.state.sim
        self.app = app
        self.original = FaultMiddleware(
            LegacyEndpoint(app, answer=app.state.original_answer),
            current=lambda: state.faults,
            rand=state.rand,
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "GET":
            await self.original(scope, receive, send)
        else:
            await self.app(scope, receive, send)
