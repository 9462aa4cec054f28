"""The dashboard's access to the serving snapshot inside Streamlit: cached, read-only queries.

Query results are cached with ``st.cache_data`` keyed on the snapshot's version, so a page
rerun costs nothing until a new snapshot is published, and the first run after that reads
the new file. A run of a page opens the file at its first uncached query and closes it when
the run ends (``Db.close``): every query of one run reads the same snapshot, and no
connection outlives the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboards import queries, snapshot
from footfall import settings

# How often an open page checks for a newly published snapshot (seconds).
WATCH_EVERY_S = 10


def snapshot_path() -> Path:
    """The serving snapshot file (FOOTFALL_SERVING)."""
    return settings.core().serving


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_read(
    path: str, version: snapshot.Version, sql: str, params: tuple[object, ...], _db: Db
) -> pd.DataFrame:
    return _db.connection().execute(sql, list(params)).df()


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_problem(path: str, version: snapshot.Version | None) -> str | None:
    return snapshot.problem(Path(path))


class Db:
    """Queries on one version of the snapshot, cached per version (a `queries.Query`).

    One per run of a page: the connection opens at the first query the cache cannot answer
    and closes with ``close()`` at the end of the run.
    """

    def __init__(self, snap: snapshot.Snapshot) -> None:
        self.snap = snap
        self._opened: contextlib.ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def __call__(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return _cached_read(str(self.snap.path), self.snap.version, sql, tuple(params), self)

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._opened = contextlib.ExitStack()
            self._con = self._opened.enter_context(snapshot.connect(self.snap.path))
        return self._con

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
        self._opened = self._con = None


def current() -> tuple[snapshot.Snapshot | None, str | None]:
    """The snapshot as it is now and why it cannot be shown (None when it can)."""
    path = snapshot_path()
    snap = snapshot.current(path)
    if snap is None:
        return None, "missing"
    return snap, _cached_problem(str(path), snap.version)


def db() -> Db:
    """The snapshot the page is drawn from (the app checked it is usable)."""
    return st.session_state["_footfall_db"]


def catalog() -> queries.Catalog:
    """Stores, sensors and facts of the current snapshot."""
    return queries.catalog(db())
