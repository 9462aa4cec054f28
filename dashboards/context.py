"""The dashboard's access to the serving snapshot inside Streamlit: cached, read-only queries.

Query results are cached with ``st.cache_data`` keyed on the snapshot's version, so a page
rerun costs nothing until a new snapshot is published, and the first run after that reads
the new file. No connection outlives a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    path: str, version: snapshot.Version, sql: str, params: tuple[object, ...]
) -> pd.DataFrame:
    return snapshot.read(Path(path), sql, params)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached_problem(path: str, version: snapshot.Version | None) -> str | None:
    return snapshot.problem(Path(path))


class Db:
    """Queries on one version of the snapshot, cached per version (a `queries.Query`)."""

    def __init__(self, snap: snapshot.Snapshot) -> None:
        self.snap = snap

    def __call__(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return _cached_read(str(self.snap.path), self.snap.version, sql, tuple(params))


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
