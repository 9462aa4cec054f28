"""The serving snapshot, as the dashboard sees it: a file opened read-only for each query.

The publisher swaps a new file into place with an atomic rename; the dashboard never keeps a
connection between queries, so every query reads either the old file or the new one, whole.
Results are cached per snapshot *version* (inode, modification time, size): a new snapshot
is a new version, so the next run of a page reads it.

Each query opens the file through a hard link of its own, made next to it for the length
of the query. DuckDB shares one database instance among the connections to the same path in
a process: without the link, a query that starts just after a swap, while another session's
query still reads the old file, would get the old data under the new version. The link pins
the inode the query reads. Where links cannot be made (a read-only folder), the file is
opened directly.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
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


def readers_dir(path: Path) -> Path:
    """Where the per-query hard links of the snapshot at path live."""
    return path.with_name(f".{path.name}.readers")


@contextlib.contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the snapshot at path as it is now, pinned by a hard link."""
    links = readers_dir(path)
    link = links / f"{uuid.uuid4().hex}.duckdb"
    try:
        links.mkdir(exist_ok=True)
        os.link(path, link)
    except FileNotFoundError:
        raise
    except OSError:  # a folder we cannot write to, or a file system without hard links
        link = None
    try:
        with duckdb.connect(str(link or path), read_only=True) as con:
            yield con
    finally:
        if link is not None:
            link.unlink(missing_ok=True)


def read(path: Path, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one query on the snapshot file, opened read-only just for it."""
    with connect(path) as con:
        return con.execute(sql, list(params)).df()


def problem(path: Path) -> str | None:
    """Why the snapshot at path cannot be shown (missing, unreadable, empty), or None."""
    if not path.is_file():
        return "missing"
    try:
        with connect(path) as con:
            tables = {
                r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()
            }
            absent = [t for t in REQUIRED_TABLES if t not in tables]
            if absent:
                return f"incomplete: it has no {', '.join(absent)}"
            (n_days,) = con.execute("select count(*) from fct_store_traffic_daily").fetchone()
    except FileNotFoundError:
        return "missing"
    except duckdb.Error as exc:
        return f"unreadable: {exc}"
    return "empty" if n_days == 0 else None
