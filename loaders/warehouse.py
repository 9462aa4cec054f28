"""The warehouse file: opening it (waiting a bounded time for a lock), and the raw tables."""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from loaders.errors import LoaderError, WarehouseLocked

_PID = re.compile(r"\(PID (\d+)\)")

SCHEMA_SQL = """
create schema if not exists raw;

create table if not exists raw.stores (
    store_id varchar primary key,
    name varchar,
    city varchar,
    country varchar,
    timezone varchar,
    opened_on date,
    n_sensors integer,
    open_hour_local integer,
    close_hour_local integer,
    closed_isodow integer[],
    mean_visits double,
    std_visits double,
    p_anomaly double,
    p_failure double,
    _load_id varchar not null,
    _loaded_at timestamp not null
);
-- Added by the simulator after the first warehouses were made (the store's first hour, UTC).
alter table raw.stores add column if not exists opened_at_utc timestamp;

create table if not exists raw.sensors (
    store_id varchar not null,
    sensor_id integer not null,
    name varchar,
    _load_id varchar not null,
    _loaded_at timestamp not null,
    primary key (store_id, sensor_id)
);

-- One row per (store_id, sensor_id, reading_start_utc). The loader is the only writer (DuckDB
-- lets one process write a file at a time) and inserts only keys that are not there yet, in the
-- same transaction that checks them; a unique index would cost more than the whole load.
create table if not exists raw.sensor_readings (
    store_id varchar not null,
    sensor_id integer not null,
    reading_start_utc timestamp not null,
    visits integer not null,
    _load_id varchar not null,
    _loaded_at timestamp not null
);

-- Earlier values of readings that a later read of the API changed: nothing is lost silently.
create table if not exists raw.sensor_readings_history (
    store_id varchar not null,
    sensor_id integer not null,
    reading_start_utc timestamp not null,
    visits integer not null,
    _load_id varchar not null,
    _loaded_at timestamp not null,
    _superseded_by_load_id varchar not null,
    _superseded_at timestamp not null,
    new_visits integer not null
);

create table if not exists raw.sensor_readings_rejects (
    _load_id varchar not null,
    _rejected_at timestamp not null,
    store_id varchar not null,
    reason varchar not null,
    payload varchar not null,
    request_start_utc timestamp,
    request_end_utc timestamp
);

create table if not exists raw.load_runs (
    load_id varchar primary key,
    started_at timestamp not null,
    ended_at timestamp,
    status varchar not null,
    window_start_utc timestamp,
    window_end_utc timestamp,
    stores varchar,
    n_rows bigint not null default 0,
    n_new_rows bigint not null default 0,
    n_rejects bigint not null default 0,
    duration_s double,
    error varchar,
    n_changed_rows bigint not null default 0,
    mode varchar,
    pid integer,
    api_url varchar
);

-- One row per task of a run: the window it set out to read and how far it got. Updated in the
-- transaction that writes each page, so it is exactly what raw.sensor_readings holds.
create table if not exists raw.load_progress (
    load_id varchar not null,
    store_id varchar not null,
    window_start_utc timestamp not null,
    window_end_utc timestamp not null,
    done_until_utc timestamp not null,
    n_pages integer not null default 0,
    n_rows bigint not null default 0,
    n_new_rows bigint not null default 0,
    n_changed_rows bigint not null default 0,
    n_rejects bigint not null default 0,
    updated_at timestamp
);
"""


def process_command(pid: int, max_chars: int = 200) -> str | None:
    """The command line of a running process, from /proc, on one line (None when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split())
    if len(text) > max_chars:
        text = text[: max_chars - 3] + "..."
    return text or None


def describe_lock(message: str) -> str:
    """Who holds the lock, from DuckDB's message: 'PID 123 (python -m dbt build)'."""
    match = _PID.search(message)
    if not match:
        return "another process"
    pid = int(match.group(1))
    command = process_command(pid)
    return f"PID {pid} ({command})" if command else f"PID {pid}"


def is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def connect(path: Path, wait_s: float, poll_s: float = 0.2) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write, creating its directory; wait up to wait_s for a lock."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoaderError(
            f"cannot create the warehouse's directory {path.parent}: {exc}; "
            "set FOOTFALL_WAREHOUSE (or --warehouse) to a writable place"
        ) from None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise LoaderError(
                    f"cannot open the warehouse {path}: {exc}. Is FOOTFALL_WAREHOUSE (or "
                    "--warehouse) a DuckDB file this version of DuckDB can write?"
                ) from None
            if time.monotonic() >= deadline:
                holder = describe_lock(str(exc))
                pid = _PID.search(str(exc))
                stop_hint = f" or stop it (kill {pid.group(1)})" if pid else ""
                raise WarehouseLocked(
                    f"the warehouse {path} is locked by {holder}; waited {wait_s:g} s. "
                    f"Let that process finish{stop_hint}, then run the loader again "
                    "(FOOTFALL_LOADER_LOCK_WAIT_S sets how long to wait)."
                ) from None
            time.sleep(poll_s)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables that do not exist yet."""
    con.execute(SCHEMA_SQL)
