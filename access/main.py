"""The read API app: one router per resource, the key check on all of them but /health.

uvicorn "access.main:create_app" --factory      # or `make api` (python -m access)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import duckdb
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from access.deps import require_key
from access.params import SERVED
from access.routers import alerts, datasets, health, quality, stores, traffic, trends
from footfall import settings
from footfall.settings import AccessSettings

ROUTERS = (traffic, trends, quality, alerts, stores)
DESCRIPTION = """\
The marts of footfall's serving snapshot over HTTP, read-only: traffic at four resolutions,
weekday trends, data quality, alerts, the stores, and a catalogue of the datasets.

Every endpoint but `/health` needs a key in the `X-API-Key` header (FOOTFALL_ACCESS_KEYS).
List endpoints answer JSON (default), CSV or Parquet (`format=`), at most `limit` rows per
answer (capped by FOOTFALL_ACCESS_MAX_ROWS); `next_cursor` (the `X-Next-Cursor` header for
CSV and Parquet) fetches the next page. Days and hours are the stores' local ones.
"""


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one readable sentence per parameter."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        got = err.get("input")
        shown = "" if got is None or isinstance(got, dict) else f" (got {repr(got)[:40]})"
        parts.append(f"{where}: {err.get('msg', 'invalid')}{shown}")
    return "; ".join(parts) or "invalid request"


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Close the snapshot the API keeps open when the server stops."""
    yield
    pool = getattr(app.state, "pool", None)
    if pool is not None:
        pool.close()


def create_app(access: AccessSettings | None = None, serving: Path | None = None) -> FastAPI:
    """The app with its settings (default: from the environment) and snapshot path."""
    app = FastAPI(
        title="footfall read API",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan,
    )
    app.state.access = access or settings.access()
    app.state.serving = Path(serving or settings.core().serving)
    app.include_router(health.router)
    for module in ROUTERS:
        app.include_router(module.router, dependencies=[Depends(require_key)])
    app.include_router(datasets.router, dependencies=[Depends(require_key)])
    app.state.endpoints = SERVED

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.exception_handler(duckdb.Error)
    async def _unreadable(_: Request, exc: duckdb.Error) -> JSONResponse:
        # A snapshot of an older format (a mart missing) or a damaged file: not the client's
        # fault, and not a crash of the API either.
        return JSONResponse(
            {"detail": f"the serving snapshot cannot answer this: {exc}; run `make build`"},
            status_code=503,
        )

    return app
