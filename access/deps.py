"""The dependencies of every endpoint: the key check and a connection to the snapshot."""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import duckdb
from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from access.snapshots import SnapshotPool
from footfall.settings import AccessSettings

KEY_HEADER = "X-API-Key"
api_key_header = APIKeyHeader(
    name=KEY_HEADER,
    auto_error=False,
    description="One of the keys in FOOTFALL_ACCESS_KEYS (docs/access.md).",
)


def config(request: Request) -> AccessSettings:
    return request.app.state.access


def serving_path(request: Request) -> Path:
    return request.app.state.serving


def require_key(request: Request, key: str | None = Security(api_key_header)) -> None:
    """401 unless the request sends one of the configured keys in the X-API-Key header."""
    keys = config(request).keys
    if not key:
        raise HTTPException(
            status_code=401,
            detail=f"no API key: send one in the {KEY_HEADER} header (keys are set in "
            "FOOTFALL_ACCESS_KEYS; docs/access.md)",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    given = key.encode()
    if not any(hmac.compare_digest(given, k.encode()) for k in keys):
        raise HTTPException(
            status_code=401,
            detail=f"unknown API key in the {KEY_HEADER} header: use one of the keys in "
            "FOOTFALL_ACCESS_KEYS",
            headers={"WWW-Authenticate": "ApiKey"},
        )


def open_snapshot(request: Request) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the snapshot's current version, pinned by a link (access.snapshots).

    A request reads one snapshot file whole even while the publisher swaps a new one in, and
    never holds the warehouse: it cannot block a load, a build or a publish.
    """
    path = serving_path(request)
    pool = getattr(request.app.state, "pool", None)
    if pool is None or pool.path != path:
        pool = request.app.state.pool = SnapshotPool(path)
    return pool.cursor()


def snapshot_connection(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the snapshot for the length of one request (503 without)."""
    path = serving_path(request)
    stack = contextlib.ExitStack()
    try:
        con = stack.enter_context(open_snapshot(request))
    except FileNotFoundError:
        raise HTTPException(
            status_code=503,
            detail=f"there is no serving snapshot at {path} (FOOTFALL_SERVING) yet: run "
            "`make build` (or `make publish` after a build)",
        ) from None
    except duckdb.Error as exc:
        raise HTTPException(
            status_code=503, detail=f"the serving snapshot {path} cannot be read: {exc}"
        ) from None
    with stack:
        yield con
