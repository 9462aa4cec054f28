"""`/health`: is there a snapshot, and how fresh is it (the only endpoint without a key)."""

from __future__ import annotations

import datetime as dt

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from access.deps import open_snapshot, serving_path
from access.models import Problem

router = APIRouter(tags=["service"])


class StoreFreshness(BaseModel):
    store_id: str
    last_hour_start_utc: dt.datetime | None = Field(
        None, description="Start of the store's last modelled hour."
    )
    last_hour_start_local: dt.datetime | None = None


class Health(BaseModel):
    status: str = Field(..., description="ok")
    published_at_utc: dt.datetime | None = Field(None, description="When the snapshot was made.")
    age_s: float | None = Field(None, description="Seconds since it was published.")
    build_generated_at_utc: dt.datetime | None = None
    last_load_ended_at_utc: dt.datetime | None = None
    last_load_window_end_utc: dt.datetime | None = Field(
        None, description="The end of the window the last load read: the data's horizon."
    )
    stores: list[StoreFreshness]


@router.get(
    "/health",
    summary="Snapshot freshness (no key needed)",
    responses={503: {"model": Problem, "description": "No readable serving snapshot."}},
)
def health(request: Request) -> Health:
    path = serving_path(request)
    try:
        with open_snapshot(request) as con:
            info = con.execute(
                "select published_at_utc, build_generated_at_utc, last_load_ended_at_utc, "
                "last_load_window_end_utc from serving_info limit 1"
            ).fetchone()
            extent = con.execute(
                "select store_id, last_hour_start_utc, last_hour_start_local "
                "from serving_store_extent order by store_id"
            ).fetchall()
    except FileNotFoundError:
        return _unavailable(f"no serving snapshot at {path} yet: run `make build`")
    except duckdb.Error as exc:
        return _unavailable(f"the serving snapshot {path} cannot be read: {exc}")
    published, build, load, horizon = info or (None, None, None, None)
    age = None
    if published is not None:
        age = (dt.datetime.now(dt.UTC).replace(tzinfo=None) - published).total_seconds()
    return Health(
        status="ok",
        published_at_utc=published,
        age_s=age,
        build_generated_at_utc=build,
        last_load_ended_at_utc=load,
        last_load_window_end_utc=horizon,
        stores=[
            StoreFreshness(store_id=s, last_hour_start_utc=u, last_hour_start_local=lo)
            for s, u, lo in extent
        ],
    )


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=503)
