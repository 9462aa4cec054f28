"""`python -m footfall.publish`: publish the dashboard's serving snapshot.

Brings the marts (every ``dim_*`` and ``fct_*`` table of the warehouse's ``main`` schema), the
results of the last ``dbt build``'s tests and the freshness facts (last successful load, build
time) from the warehouse into a new DuckDB file, then swaps it into place with an atomic
rename (``os.replace``). The dashboard opens only that file, read-only, so it never holds the
warehouse and never sees a half-built state (docs/contracts.md section 4).

Incremental: the new file starts as a copy of the snapshot in place, and receives only the
store-days that dbt recomputed since that snapshot was published (``footfall_changes``, which
every incremental model's pre-hook writes: per store, the hour or local date from which its
rows were recomputed). The small tables that dbt rebuilds whole (dimensions, store health,
alerts) are copied whole. A first publish, a snapshot of another format or warehouse, one
older than the change log keeps (``footfall_changes_keep_days``), or a mart whose columns
changed, is copied in full (``--full`` forces it). The warehouse is attached read-only only
while the changed rows are read (``held the warehouse`` in the summary).

Tables of the snapshot besides the marts (all timestamps UTC):

- ``serving_info``: one row about this snapshot: ``published_at_utc``, ``warehouse``,
  ``build_generated_at_utc``, ``build_elapsed_s``, ``build_command``, ``build_invocation_id``,
  ``tests_from``, ``last_load_id``, ``last_load_ended_at_utc``, ``last_load_window_end_utc``,
  ``last_load_n_new_rows``, ``format_version``.
- ``serving_store_extent``: per store, the first and last hour of its traffic facts.
- ``serving_dbt_tests``: one row per data test and unit test of the build: ``unique_id``,
  ``test_name``, ``test_type``, ``model``, ``column_name``, ``status``, ``failures``,
  ``message``, ``execution_time_s``.
- ``serving_load_runs``: the last load runs (``raw.load_runs``), newest first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from footfall import settings

FORMAT_VERSION = 2
#: The change log's rows are kept this many days (dbt var footfall_changes_keep_days, 30): a
#: snapshot whose last publish is older than this, less a day's margin, is published in full.
CHANGES_KEPT_DAYS = 29
CORE_MARTS = (
    "dim_stores",
    "dim_sensors",
    "fct_sensor_traffic_hourly",
    "fct_sensor_traffic_daily",
    "fct_store_traffic_hourly",
    "fct_store_traffic_daily",
)
# Rows are stored in this order (the columns a table has), so that the dashboard's filters on
# store and dates skip whole row groups.
SORT_COLUMNS = ("store_id", "local_date", "hour_start_utc", "sensor_id")
LOAD_RUNS_KEPT = 200
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>\S+) \(PID (?P<pid>\d+)\)")


class PublishError(RuntimeError):
    """Publishing failed; the message says what, with which file, and what to do."""


@dataclass(frozen=True)
class BuildResults:
    """What the publisher takes from dbt's run_results.json (and manifest.json)."""

    generated_at_utc: datetime | None
    elapsed_s: float | None
    command: str | None
    invocation_id: str | None
    tests: list[dict[str, object]]
    source: str


@dataclass(frozen=True)
class PublishSummary:
    """What a publish did, for the command's summary line."""

    serving: Path
    tables: dict[str, int]
    n_tests: int
    tests_from: str
    duration_s: float
    mode: str = "full"
    rows_written: int = 0
    held_s: float = 0.0


# --------------------------------------------------------------------------------------------
# dbt results
# --------------------------------------------------------------------------------------------
def _parse_time(raw: object) -> datetime | None:
    """A dbt ISO timestamp as a naive UTC datetime (None when absent or unreadable)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _test_rows(results: list[dict], manifest_nodes: dict) -> list[dict[str, object]]:
    """One row per data test or unit test result of a dbt invocation."""
    rows = []
    for result in results:
        unique_id = str(result.get("unique_id", ""))
        kind, _, rest = unique_id.partition(".")
        if kind not in {"test", "unit_test"}:
            continue
        node = manifest_nodes.get(unique_id, {})
        parts = rest.split(".")
        if kind == "test":
            name = node.get("name") or (parts[1] if len(parts) > 1 else unique_id)
            attached = node.get("attached_node") or ""
            model = attached.rsplit(".", 1)[-1] if attached else None
        else:
            name = parts[-1] if parts else unique_id
            model = parts[-2] if len(parts) >= 3 else None
        failures = result.get("failures")
        rows.append(
            {
                "unique_id": unique_id,
                "test_name": name,
                "test_type": "unit" if kind == "unit_test" else "data",
                "model": model,
                "column_name": node.get("column_name"),
                "status": str(result.get("status", "unknown")),
                "failures": int(failures) if isinstance(failures, int | float) else None,
                "message": result.get("message"),
                "execution_time_s": float(result.get("execution_time") or 0.0),
            }
        )
    return rows


def read_build_results(target_dir: Path) -> BuildResults | None:
    """The last dbt invocation's results in target_dir, or None without a run_results.json.

    Raises PublishError when that invocation was a build whose models failed or were skipped:
    its marts may be half built, which the snapshot must never show.
    """
    path = target_dir / "run_results.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PublishError(
            f"cannot read dbt's results {path}: {exc}. Run `make build` again to rewrite it."
        ) from None
    results = data.get("results") or []
    broken = [
        f"{r.get('unique_id')} ({r.get('status')})"
        for r in results
        if str(r.get("unique_id", "")).split(".")[0] in {"model", "seed", "snapshot"}
        and r.get("status") in {"error", "skipped", "runtime error"}
    ]
    if broken:
        shown = ", ".join(broken[:5]) + (f" and {len(broken) - 5} more" if len(broken) > 5 else "")
        raise PublishError(
            f"the last dbt build ({path}) did not build every model: {shown}. The serving "
            "snapshot was left as it was; fix the build and run `make build` again."
        )
    nodes: dict = {}
    manifest = target_dir / "manifest.json"
    if manifest.is_file():
        with contextlib.suppress(OSError, json.JSONDecodeError):
            nodes = json.loads(manifest.read_text()).get("nodes") or {}
    args = data.get("args") or {}
    metadata = data.get("metadata") or {}
    elapsed = data.get("elapsed_time")
    return BuildResults(
        generated_at_utc=_parse_time(metadata.get("generated_at")),
        elapsed_s=float(elapsed) if isinstance(elapsed, int | float) else None,
        command=args.get("which"),
        invocation_id=metadata.get("invocation_id"),
        tests=_test_rows(results, nodes),
        source=str(path),
    )


# --------------------------------------------------------------------------------------------
# The warehouse, attached read-only for as short a time as possible
# --------------------------------------------------------------------------------------------
def _lock_holder(message: str) -> str:
    """Who holds the warehouse, from DuckDB's lock error: the command line of that process."""
    match = _LOCK_HOLDER.search(message)
    if not match:
        return "another process"
    pid = match.group("pid")
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmdline = match.group("exe")
    return f"process {pid} ({cmdline or match.group('exe')})"


@contextlib.contextmanager
def attached_warehouse(
    con: duckdb.DuckDBPyConnection, warehouse: Path, wait_s: float
) -> Iterator[None]:
    """ATTACH the warehouse read-only as `wh`, waiting at most wait_s for a writer to finish."""
    deadline = time.monotonic() + wait_s
    delay = 0.1
    while True:
        try:
            con.execute(f"attach '{_sql_str(warehouse)}' as wh (read_only)")
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise PublishError(f"cannot open the warehouse {warehouse}: {exc}") from None
            if time.monotonic() >= deadline:
                raise PublishError(
                    f"the warehouse {warehouse} is locked by {_lock_holder(str(exc))}; waited "
                    f"{wait_s:.0f} s for it to finish (a load or a dbt build holds it while "
                    "it writes). Run `make publish` again once it is done, or wait longer "
                    "with FOOTFALL_PUBLISH_WAIT_S."
                ) from None
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 2.0)
    try:
        yield
    finally:
        con.execute("detach wh")


def _sql_str(path: Path) -> str:
    return str(path).replace("'", "''")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
        "union select view_name from duckdb_views() where database_name = 'wh' "
        "and schema_name = ? and not internal order by 1",
        [schema, schema],
    ).fetchall()
    return [r[0] for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe wh.main.{table}").fetchall()]


@dataclass(frozen=True)
class SnapshotState:
    """What the snapshot in place says of itself: enough to bring it up to date."""

    format_version: int | None
    warehouse: str | None
    changes_through_utc: datetime | None
    tables: dict[str, list[tuple[str, str]]]


def _snapshot_state(serving: Path) -> SnapshotState | None:
    """The state of the snapshot in place, or None without a readable one."""
    if not serving.is_file():
        return None
    try:
        with duckdb.connect(str(serving), read_only=True) as old:
            info = old.execute("select * from serving_info").df()
            columns = old.execute(
                "select table_name, column_name, data_type from duckdb_columns() "
                "where schema_name = 'main' order by table_name, column_index"
            ).fetchall()
    except duckdb.Error:
        return None
    if not len(info):
        return None
    row = info.iloc[0].to_dict()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in columns:
        tables.setdefault(table, []).append((column, kind))
    through = row.get("changes_through_utc")
    return SnapshotState(
        format_version=_none_if_nan(row.get("format_version")),
        warehouse=_none_if_nan(row.get("warehouse")),
        changes_through_utc=None if through is None or through != through else through,
        tables=tables,
    )


def _wh_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = 'wh' "
        "and schema_name = 'main' and table_name = ? order by column_index",
        [table],
    ).fetchall()


def _marts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    marts = [t for t in _tables(con, "main") if t.startswith(("dim_", "fct_"))]
    missing = [m for m in CORE_MARTS if m not in marts]
    if missing:
        raise PublishError(
            f"the warehouse {warehouse} has no marts yet (missing {', '.join(missing)}). "
            "Run `make build` (dbt build) first, after `make load`; or `make demo`."
        )
    return marts


def _order_by(columns: list[str], prefix: str = "") -> str:
    order = [f"{prefix}{c}" for c in SORT_COLUMNS if c in columns]
    return f" order by {', '.join(order)}" if order else ""


def _copy_whole(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Replace the snapshot's table by the warehouse's, sorted for the dashboard: rows.

    A table with a store_id is copied a store at a time, each store's rows sorted by date and
    hour: the same order as one sort of the whole table, in memory bounded by the largest
    store instead of the whole history (a sort of 80 million rows would spill for minutes).
    """
    columns = [c for c, _ in _wh_columns(con, table)]
    con.execute(f"drop table if exists main.{table}")
    if "store_id" not in columns:
        con.execute(
            f"create table main.{table} as select * from wh.main.{table}{_order_by(columns)}"
        )
    else:
        con.execute(f"create table main.{table} as select * from wh.main.{table} limit 0")
        stores = [
            r[0]
            for r in con.execute(
                f"select distinct store_id from wh.main.{table} order by store_id nulls last"
            ).fetchall()
        ]
        for store in stores:
            where = "store_id is null" if store is None else "store_id = ?"
            con.execute(
                f"insert into main.{table} select * from wh.main.{table} "
                f"where {where}{_order_by(columns)}",
                [] if store is None else [store],
            )
    (n,) = con.execute(f"select count(*) from main.{table}").fetchone()
    return int(n)


def _change_log(con: duckdb.DuckDBPyConnection) -> bool:
    return "footfall_changes" in _tables(con, "main")


def _changes_through(con: duckdb.DuckDBPyConnection) -> datetime | None:
    if not _change_log(con):
        return None
    (through,) = con.execute("select max(recorded_at_utc) from wh.main.footfall_changes").fetchone()
    return through


def _apply_changes(con: duckdb.DuckDBPyConnection, table: str, since: datetime) -> int | None:
    """Bring one incremental mart up to date from the change log: rows written.

    None when the mart must be copied whole instead (a full refresh since, or no entry of it
    in the change log, as for the marts dbt rebuilds whole); 0 when nothing changed.
    """
    logged = con.execute(
        "select count(*) from wh.main.footfall_changes where model_name = ?", [table]
    ).fetchone()[0]
    if not logged:
        return None
    con.execute(
        """
        create or replace temp table changed as
        select
            store_id,
            any_value(time_column) as time_column,
            -- null (the whole store) wins over any hour
            case when count(changed_from) < count(*) then null else min(changed_from) end
                as changed_from
        from wh.main.footfall_changes
        where model_name = ? and recorded_at_utc > ?
        group by store_id
        """,
        [table, since],
    )
    n_changed, n_whole = con.execute(
        "select count(*), count_if(store_id is null) from changed"
    ).fetchone()
    if n_whole:
        return None
    if not n_changed:
        return 0
    (time_column,) = con.execute("select any_value(time_column) from changed").fetchone()
    columns = [c for c, _ in _wh_columns(con, table)]
    if time_column not in columns:
        return None
    # A constant lower bound besides the join: DuckDB skips the row groups before it (zone
    # maps), so neither the delete nor the read scans the history (none: a whole store).
    (low,) = con.execute(
        "select case when count(changed_from) = count(*) then min(changed_from) end from changed"
    ).fetchone()
    bound = f" and t.{time_column} >= '{low}'" if low is not None else ""
    in_changed = (
        f"t.store_id = changed.store_id and (changed.changed_from is null "
        f"or t.{time_column} >= changed.changed_from){bound}"
    )
    con.execute(f"delete from main.{table} as t using changed where {in_changed}")
    select_list = ", ".join(f"t.{c}" for c in columns)
    (n,) = con.execute(
        f"insert into main.{table} select {select_list} from wh.main.{table} as t "
        f"inner join changed on {in_changed}{_order_by(columns, 't.')}"
    ).fetchone()
    return int(n)


def _sync_marts(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    previous: SnapshotState | None,
    since: datetime | None,
) -> tuple[dict[str, int], int]:
    """Bring every mart of the snapshot up to date: (rows per mart, rows written)."""
    marts = _marts(con, warehouse)
    for stale in set(previous.tables if previous else ()) - set(marts):
        if stale.startswith(("dim_", "fct_")):
            con.execute(f"drop table main.{stale}")
    counts, written = {}, 0
    for table in marts:
        n = None
        same_columns = previous is not None and previous.tables.get(table) == _wh_columns(
            con, table
        )
        if since is not None and same_columns:
            n = _apply_changes(con, table, since)
            if n is None and _fingerprint(con, "wh.main", table) == _fingerprint(
                con, "main", table
            ):
                n = 0  # rebuilt by dbt, but with the same rows (a calendar, the dimensions)
        if n is None:
            n = _copy_whole(con, table)
        written += n
        (counts[table],) = con.execute(f"select count(*) from main.{table}").fetchone()
    return counts, written


def _fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple:
    """(rows, an order-independent hash of every row) of a table: equal for the same rows."""
    columns = ", ".join(f'"{c}"' for c, _ in _wh_columns(con, table))
    return con.execute(
        f"select count(*), bit_xor(hash({columns})) from {schema}.{table}"
    ).fetchone()


def _incremental_base(
    serving: Path, warehouse: Path, full: bool
) -> tuple[SnapshotState | None, datetime | None]:
    """The snapshot to start from and the change-log time it is up to date with.

    (None, None): publish in full, into a new file.
    """
    previous = None if full else _snapshot_state(serving)
    if previous is None or previous.format_version != FORMAT_VERSION:
        return None, None
    if previous.warehouse != str(warehouse) or previous.changes_through_utc is None:
        return None, None
    age = datetime.now(UTC).replace(tzinfo=None) - previous.changes_through_utc
    if age.days >= CHANGES_KEPT_DAYS:
        return None, None
    return previous, previous.changes_through_utc


def _copy_load_runs(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Copy the last load runs; return the last successful one's facts (empty without runs)."""
    if "load_runs" not in _tables(con, "raw"):
        con.execute(
            "create or replace table serving_load_runs (load_id varchar, started_at timestamp, "
            "ended_at timestamp, status varchar, window_start_utc timestamp, "
            "window_end_utc timestamp, stores varchar, n_rows bigint, n_new_rows bigint, "
            "n_rejects bigint, duration_s double, error varchar)"
        )
        return {}
    con.execute(
        "create or replace table serving_load_runs as select * from wh.raw.load_runs "
        f"order by started_at desc nulls last limit {LOAD_RUNS_KEPT}"
    )
    row = con.execute(
        "select load_id, ended_at, window_end_utc, n_new_rows from wh.raw.load_runs "
        "where status = 'success' order by ended_at desc nulls last limit 1"
    ).fetchone()
    if row is None:
        return {}
    return dict(
        zip(
            ("last_load_id", "last_load_ended_at_utc", "last_load_window_end_utc"),
            row[:3],
            strict=True,
        ),
        last_load_n_new_rows=row[3],
    )


# --------------------------------------------------------------------------------------------
# The snapshot's own tables
# --------------------------------------------------------------------------------------------
def _previous_tests(serving: Path) -> tuple[list[dict[str, object]], dict[str, object]] | None:
    """The test results and build facts of the snapshot in place, if there is a readable one."""
    if not serving.is_file():
        return None
    try:
        with duckdb.connect(str(serving), read_only=True) as old:
            tests = old.execute("select * from serving_dbt_tests").df().to_dict("records")
            info = old.execute(
                "select build_generated_at_utc, build_elapsed_s, build_command, "
                "build_invocation_id, tests_from from serving_info"
            ).df()
    except duckdb.Error:
        return None
    return tests, (info.iloc[0].to_dict() if len(info) else {})


def _write_tests(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    con.execute(
        "create or replace table serving_dbt_tests (unique_id varchar, test_name varchar, "
        "test_type varchar, model varchar, column_name varchar, status varchar, "
        "failures bigint, message varchar, execution_time_s double)"
    )
    if rows:
        cols = [
            "unique_id",
            "test_name",
            "test_type",
            "model",
            "column_name",
            "status",
            "failures",
            "message",
            "execution_time_s",
        ]
        con.executemany(
            f"insert into serving_dbt_tests values ({', '.join('?' * len(cols))})",
            [[_none_if_nan(r.get(c)) for c in cols] for r in rows],
        )


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


def _write_extent(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace table serving_store_extent as "
        "select store_id, min(local_date) as first_local_date, max(local_date) as last_local_date,"
        " min(hour_start_utc) as first_hour_start_utc, max(hour_start_utc) as last_hour_start_utc,"
        " max(hour_start_local) as last_hour_start_local "
        "from main.fct_store_traffic_hourly group by store_id order by store_id"
    )


def _write_info(con: duckdb.DuckDBPyConnection, warehouse: Path, build: dict[str, object]) -> None:
    con.execute(
        "create or replace table serving_info (published_at_utc timestamp, warehouse varchar, "
        "build_generated_at_utc timestamp, build_elapsed_s double, build_command varchar, "
        "build_invocation_id varchar, tests_from varchar, last_load_id varchar, "
        "last_load_ended_at_utc timestamp, last_load_window_end_utc timestamp, "
        "last_load_n_new_rows bigint, format_version integer, changes_through_utc timestamp, "
        "publish_mode varchar)"
    )
    con.execute(
        "insert into serving_info values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            datetime.now(UTC).replace(tzinfo=None),
            str(warehouse),
            _none_if_nan(build.get("build_generated_at_utc")),
            _none_if_nan(build.get("build_elapsed_s")),
            _none_if_nan(build.get("build_command")),
            _none_if_nan(build.get("build_invocation_id")),
            _none_if_nan(build.get("tests_from")),
            build.get("last_load_id"),
            build.get("last_load_ended_at_utc"),
            build.get("last_load_window_end_utc"),
            build.get("last_load_n_new_rows"),
            FORMAT_VERSION,
            build.get("changes_through_utc"),
            build.get("publish_mode"),
        ],
    )


def _build_facts(
    results: BuildResults | None, serving: Path
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """The tests and build facts to publish: this build's, else the previous snapshot's."""
    if results is not None and results.command in {"build", "test"}:
        return results.tests, {
            "build_generated_at_utc": results.generated_at_utc,
            "build_elapsed_s": results.elapsed_s,
            "build_command": f"dbt {results.command}",
            "build_invocation_id": results.invocation_id,
            "tests_from": results.source,
        }
    # The last dbt command was not a build (e.g. `dbt docs generate`), or there is none:
    # keep what the snapshot in place says about the last build rather than forget it.
    previous = _previous_tests(serving)
    if previous is not None and previous[1].get("build_generated_at_utc") is not None:
        return previous
    facts: dict[str, object] = {"tests_from": None}
    if results is not None:
        facts["build_generated_at_utc"] = results.generated_at_utc
        facts["build_command"] = f"dbt {results.command}" if results.command else None
    return [], facts


# --------------------------------------------------------------------------------------------
# Publish
# --------------------------------------------------------------------------------------------
def publish(
    warehouse: Path | None = None,
    serving: Path | None = None,
    target_dir: Path | None = None,
    wait_s: float | None = None,
    full: bool = False,
) -> PublishSummary:
    """Bring a new serving snapshot up to date with the warehouse and swap it into place."""
    started = time.perf_counter()
    core, dash = settings.core(), settings.dashboard()
    warehouse = Path(warehouse or core.warehouse)
    serving = Path(serving or core.serving)
    target_dir = Path(target_dir or dash.dbt_target_dir)
    wait_s = dash.publish_wait_s if wait_s is None else wait_s
    if not warehouse.is_file():
        raise PublishError(
            f"there is no warehouse at {warehouse} (FOOTFALL_WAREHOUSE). Run `make load` then "
            "`make build`, or `make demo` for the whole pipeline."
        )
    results = read_build_results(target_dir)
    tests, build = _build_facts(results, serving)
    previous, since = _incremental_base(serving, warehouse, full)

    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        if previous is not None:
            # The snapshot in place, as the new file's start (a file copy: no warehouse held).
            shutil.copyfile(serving, tmp)
        with duckdb.connect(str(tmp)) as con:
            con.execute("set preserve_insertion_order = true")
            con.execute(f"set memory_limit = '{dash.publish_memory_limit}'")
            held_from = time.perf_counter()
            with attached_warehouse(con, warehouse, wait_s):
                held_from = time.perf_counter()
                through = _changes_through(con)
                counts, written = _sync_marts(con, warehouse, previous, since)
                build.update(_copy_load_runs(con))
            held_s = time.perf_counter() - held_from
            build["changes_through_utc"] = through
            build["publish_mode"] = "incremental" if previous is not None else "full"
            _write_extent(con)
            _write_tests(con, tests)
            _write_info(con, warehouse, build)
            con.execute("checkpoint")
        _fsync(tmp)
        os.replace(tmp, serving)
        _fsync(serving.parent)
        _prune_reader_links(serving)
    except BaseException:
        _remove(tmp)
        raise
    return PublishSummary(
        serving=serving,
        tables=counts,
        n_tests=len(tests),
        tests_from=str(build.get("tests_from") or "no dbt build results"),
        duration_s=time.perf_counter() - started,
        mode=str(build["publish_mode"]),
        rows_written=written,
        held_s=held_s,
    )


def _prune_reader_links(serving: Path, older_than_s: float = 600.0) -> None:
    """Remove the dashboard's per-query links left behind by a reader that died mid-query.

    The dashboard links the snapshot for the length of one query (dashboards/snapshot.py);
    a link whose file was last linked 10 minutes ago (the inode's change time, which every
    new link refreshes) belongs to no running query and only pins an old file.
    """
    links = serving.with_name(f".{serving.name}.readers")
    if not links.is_dir():
        return
    cutoff = time.time() - older_than_s
    for link in links.glob("*.duckdb"):
        with contextlib.suppress(FileNotFoundError):
            if link.lstat().st_ctime < cutoff:
                link.unlink()


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m footfall.publish", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--warehouse", type=Path, help="default: FOOTFALL_WAREHOUSE")
    parser.add_argument("--serving", type=Path, help="default: FOOTFALL_SERVING")
    parser.add_argument(
        "--dbt-target",
        type=Path,
        help="where dbt wrote run_results.json (default: DBT_TARGET_PATH or dbt_project/target)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        help="seconds to wait for a locked warehouse (FOOTFALL_PUBLISH_WAIT_S)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="copy every mart whole instead of the store-days changed since the last publish",
    )
    args = parser.parse_args(argv)
    try:
        summary = publish(args.warehouse, args.serving, args.dbt_target, args.wait, args.full)
    except (PublishError, settings.SettingError) as exc:
        print(f"publish failed: {exc}", file=sys.stderr)
        return 1
    facts = summary.tables
    print(
        f"published {summary.serving} in {summary.duration_s:.1f} s ({summary.mode}: "
        f"{summary.rows_written:,} rows written; held the warehouse {summary.held_s:.1f} s): "
        f"{len(facts)} marts ({facts.get('fct_store_traffic_daily', 0):,} store-days, "
        f"{facts.get('fct_sensor_traffic_hourly', 0):,} sensor-hours), "
        f"{summary.n_tests} dbt test results from {summary.tests_from}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
