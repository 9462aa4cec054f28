"""The serving snapshot, as the dashboard sees it: a file opened read-only for each query.

The publisher swaps a new file into place with an atomic rename; the dashboard never keeps a
connection between queries, so every query reads either the old file or the new one, whole.
Results are cached per snapshot *version* (inode, modification time, size): a new snapshot
is a new version, so the next run of a page reads it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

REQUIRED_TABLES = (
    "dim_stores",
    "dim_sensors",
    "fct_sensor_traffic_hourly",
    "fct_sensor_traffic_daily",
    "fct_store_traffic_hourly",
    "fct_store_traffic_daily",
    "serving_info",
    "serving_store_extent",
    "serving_dbt_tests",
    "serving_load_runs",
)

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Snapshot:
    """One version of the serving snapshot file."""

    path: Path
    version: Version


def current(path: Path) -> Snapshot | None:
    """The snapshot at path as it is now, or None when there is no file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return Snapshot(path, (st.st_ino, st.st_mtime_ns, st.st_size))


def read(path: Path, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one query on the snapshot file, opened read-only just for it."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def problem(path: Path) -> str | None:
    """Why the snapshot at path cannot be shown (missing, unreadable, empty), or None."""
    if not path.is_file():
        return "missing"
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = {
                r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()
            }
            absent = [t for t in REQUIRED_TABLES if t not in tables]
            if absent:
                return f"incomplete: it has no {', '.join(absent)}"
            (n_days,) = con.execute("select count(*) from fct_store_traffic_daily").fetchone()
    except duckdb.Error as exc:
        return f"unreadable: {exc}"
    return "empty" if n_days == 0 else None
