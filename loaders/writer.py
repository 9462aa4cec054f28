"""Writing to the raw tables: store metadata, a page of readings, the run log.

Every page is written in ONE transaction together with the progress of its task and the
counters of its run, so whatever moment the loader is killed at, the warehouse holds whole
pages whose progress says exactly how far each task got.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np

from loaders.api import STORE_FIELDS, Store
from loaders.pages import Page
from loaders.plan import Task

ABORTED_ERROR = (
    "the loader stopped before the end of this run (killed or crashed); "
    "a later run read the hours it had not finished"
)


def utc_now() -> datetime:
    """Now as a naive UTC datetime (how timestamps are stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PageCounts:
    n_rows: int
    n_new_rows: int
    n_changed_rows: int
    n_rejects: int


def abort_stale_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Mark runs still 'running' as 'aborted': their process is gone, since we hold the lock."""
    rows = con.execute(
        """
        update raw.load_runs
        set status = 'aborted',
            error = coalesce(error, $error),
            ended_at = coalesce(ended_at, (
                select max(p.updated_at) from raw.load_progress p
                where p.load_id = load_runs.load_id
            ))
        where status = 'running'
        returning load_id
        """,
        {"error": ABORTED_ERROR},
    ).fetchall()
    return sorted(r[0] for r in rows)


def start_run(
    con: duckdb.DuckDBPyConnection, load_id: str, started_at: datetime, mode: str, api_url: str
) -> None:
    con.execute(
        """
        insert into raw.load_runs (load_id, started_at, status, mode, pid, api_url)
        values ($load_id, $started_at, 'running', $mode, $pid, $api_url)
        """,
        {
            "load_id": load_id,
            "started_at": started_at,
            "mode": mode,
            "pid": os.getpid(),
            "api_url": api_url,
        },
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    status: str,
    duration_s: float,
    error: str | None = None,
) -> None:
    con.execute(
        """
        update raw.load_runs
        set status = $status, ended_at = $ended_at, duration_s = $duration_s, error = $error
        where load_id = $load_id
        """,
        {
            "status": status,
            "ended_at": utc_now(),
            "duration_s": duration_s,
            "error": error,
            "load_id": load_id,
        },
    )


def write_stores(
    con: duckdb.DuckDBPyConnection, stores: list[Store], load_id: str, loaded_at: datetime
) -> None:
    """Upsert every store and sensor the API lists (one transaction)."""
    columns = ", ".join(STORE_FIELDS)
    values = ", ".join(f"${c}" for c in STORE_FIELDS)
    updated = (*STORE_FIELDS[1:], "_load_id", "_loaded_at")
    updates = ", ".join(f"{c} = excluded.{c}" for c in updated)
    meta = {"load_id": load_id, "loaded_at": loaded_at}
    con.execute("begin transaction")
    try:
        con.executemany(
            f"""
            insert into raw.stores ({columns}, _load_id, _loaded_at)
            values ({values}, $load_id, $loaded_at)
            on conflict (store_id) do update set {updates}
            """,
            [
                {**{c: s.fields.get(c) for c in STORE_FIELDS}, **meta}
                | {"opened_at_utc": s.opened_at_utc}
                for s in stores
            ],
        )
        con.executemany(
            """
            insert into raw.sensors (store_id, sensor_id, name, _load_id, _loaded_at)
            values ($store_id, $sensor_id, $name, $load_id, $loaded_at)
            on conflict (store_id, sensor_id) do update set
                name = excluded.name, _load_id = excluded._load_id, _loaded_at = excluded._loaded_at
            """,
            [
                {
                    "store_id": s.store_id,
                    "sensor_id": int(x["sensor_id"]),
                    "name": x.get("name"),
                    **meta,
                }
                for s in stores
                for x in s.sensors
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def full_refresh(con: duckdb.DuckDBPyConnection, store_ids: list[str]) -> int:
    """Forget what was loaded for these stores: their readings and their progress."""
    con.execute("begin transaction")
    try:
        n = con.execute(
            "delete from raw.sensor_readings where store_id in (select unnest($ids))",
            {"ids": store_ids},
        ).fetchone()[0]
        con.execute(
            "delete from raw.load_progress where store_id in (select unnest($ids))",
            {"ids": store_ids},
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return int(n)


def plan_run(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    tasks: list[Task],
    window: tuple[datetime | None, datetime | None],
    store_ids: list[str],
) -> None:
    """Record the run's window and its tasks (each not started: done until its start)."""
    table = {
        "store_id": np.array([t.store_id for t in tasks], dtype=object),
        "window_start_utc": np.array([t.start for t in tasks], dtype="datetime64[s]"),
        "window_end_utc": np.array([t.end for t in tasks], dtype="datetime64[s]"),
    }
    con.execute("begin transaction")
    try:
        con.register("run_tasks", table)
        con.execute(
            """
            insert into raw.load_progress
                (load_id, store_id, window_start_utc, window_end_utc, done_until_utc, updated_at)
            select $load_id, store_id, window_start_utc, window_end_utc, window_start_utc, $now
            from run_tasks
            """,
            {"load_id": load_id, "now": utc_now()},
        )
        con.execute(
            """
            update raw.load_runs
            set window_start_utc = $start, window_end_utc = $end, stores = $stores
            where load_id = $load_id
            """,
            {
                "start": window[0],
                "end": window[1],
                "stores": ",".join(store_ids),
                "load_id": load_id,
            },
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("run_tasks")


def progress_intervals(
    con: duckdb.DuckDBPyConnection,
) -> dict[str, tuple[list[tuple[datetime, datetime]], list[tuple[datetime, datetime]]]]:
    """Per store: (windows tasks set out to read, the parts they finished)."""
    rows = con.execute(
        """
        select store_id, window_start_utc, window_end_utc, done_until_utc
        from raw.load_progress
        """
    ).fetchall()
    out: dict[str, tuple[list, list]] = {}
    for store_id, start, end, done in rows:
        intended, finished = out.setdefault(store_id, ([], []))
        intended.append((start, end))
        if done > start:
            finished.append((start, done))
    return out


def write_pages(
    con: duckdb.DuckDBPyConnection, load_id: str, items: list[tuple[Task, Page]]
) -> list[PageCounts]:
    """Write pages (see _write_page) and the progress they make in ONE transaction."""
    con.execute("begin transaction")
    try:
        counts = [_write_page(con, load_id, task, page) for task, page in items]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def _write_page(con: duckdb.DuckDBPyConnection, load_id: str, task: Task, page: Page) -> PageCounts:
    """Insert the new rows of a page, update changed ones (keeping the old in history), store
    its rejects, and advance the task's progress and the run's counters (no commit here)."""
    now = utc_now()
    n_rows = page.n_accepted
    n_new = n_changed = 0
    try:
        if n_rows:
            con.register(
                "api_page",
                {
                    "sensor_id": page.sensor_id,
                    "reading_start_utc": page.reading_start_utc,
                    "visits": page.visits,
                },
            )
            params = {
                "store_id": page.store_id,
                "low": page.reading_start_utc.min().item(),
                "high": page.reading_start_utc.max().item(),
            }
            con.execute(
                """
                create or replace temp table page_matches as
                select
                    p.sensor_id,
                    p.reading_start_utc,
                    p.visits as new_visits,
                    r.visits,
                    r._load_id,
                    r._loaded_at
                from api_page as p
                inner join raw.sensor_readings as r
                    on r.sensor_id = p.sensor_id
                    and r.reading_start_utc = p.reading_start_utc
                where r.store_id = $store_id
                    and r.reading_start_utc between $low and $high
                """,
                params,
            )
            n_matched, n_changed = con.execute(
                "select count(*), count(*) filter (where visits <> new_visits) from page_matches"
            ).fetchone()
            n_new = n_rows - n_matched
            if n_changed:
                change = {"store_id": page.store_id, "load_id": load_id, "now": now}
                con.execute(
                    """
                    insert into raw.sensor_readings_history
                    select
                        $store_id, sensor_id, reading_start_utc, visits, _load_id, _loaded_at,
                        $load_id, $now, new_visits
                    from page_matches
                    where visits <> new_visits
                    """,
                    change,
                )
                con.execute(
                    """
                    update raw.sensor_readings as r
                    set visits = m.new_visits, _load_id = $load_id, _loaded_at = $now
                    from page_matches as m
                    where r.store_id = $store_id
                        and r.sensor_id = m.sensor_id
                        and r.reading_start_utc = m.reading_start_utc
                        and m.visits <> m.new_visits
                    """,
                    change,
                )
            if n_new:
                con.execute(
                    """
                    insert into raw.sensor_readings
                    select $store_id, p.sensor_id, p.reading_start_utc, p.visits, $load_id, $now
                    from api_page as p
                    anti join page_matches as m
                        on m.sensor_id = p.sensor_id
                        and m.reading_start_utc = p.reading_start_utc
                    """,
                    {"store_id": page.store_id, "load_id": load_id, "now": now},
                )
        if page.rejects:
            con.executemany(
                """
                insert into raw.sensor_readings_rejects values
                    ($load_id, $now, $store_id, $reason, $payload, $start, $end)
                """,
                [
                    {
                        "load_id": load_id,
                        "now": now,
                        "store_id": page.store_id,
                        "reason": reason,
                        "payload": payload,
                        "start": page.window_start,
                        "end": page.window_end,
                    }
                    for reason, payload in page.rejects
                ],
            )
        counts = PageCounts(n_rows, n_new, int(n_changed), len(page.rejects))
        con.execute(
            """
            update raw.load_progress
            set done_until_utc = greatest(done_until_utc, coalesce($done, done_until_utc)),
                n_pages = n_pages + 1,
                n_rows = n_rows + $n_rows,
                n_new_rows = n_new_rows + $n_new,
                n_changed_rows = n_changed_rows + $n_changed,
                n_rejects = n_rejects + $n_rejects,
                updated_at = $now
            where load_id = $load_id and store_id = $store_id and window_start_utc = $start
            """,
            {
                "done": page.done_until,
                "n_rows": counts.n_rows,
                "n_new": counts.n_new_rows,
                "n_changed": counts.n_changed_rows,
                "n_rejects": counts.n_rejects,
                "now": now,
                "load_id": load_id,
                "store_id": task.store_id,
                "start": task.start,
            },
        )
        con.execute(
            """
            update raw.load_runs
            set n_rows = n_rows + $n_rows,
                n_new_rows = n_new_rows + $n_new,
                n_changed_rows = n_changed_rows + $n_changed,
                n_rejects = n_rejects + $n_rejects
            where load_id = $load_id
            """,
            {
                "n_rows": counts.n_rows,
                "n_new": counts.n_new_rows,
                "n_changed": counts.n_changed_rows,
                "n_rejects": counts.n_rejects,
                "load_id": load_id,
            },
        )
    except BaseException:
        # An interrupted query (Ctrl-C) aborts the transaction, and unregistering then fails:
        # keep the first error, which the caller rolls back and reports.
        if n_rows:
            with contextlib.suppress(duckdb.Error):
                con.unregister("api_page")
        raise
    if n_rows:
        con.unregister("api_page")
    return counts
