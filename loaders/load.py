"""One run of the loader: plan the work, fetch pages concurrently, write them in order.

Worker threads (one HTTP client each) fetch and check pages, task after task; the calling
thread owns the DuckDB connection and writes the pages as they arrive, each batch of waiting
pages in one transaction. A bounded queue between them keeps memory flat whatever the size
of the history.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from loaders import plan, warehouse, writer
from loaders.api import ApiClient, Store
from loaders.errors import ApiError, LoaderError, OptionError, TransientError
from loaders.pages import Page
from loaders.retry import RetryPolicy, Stopped

if TYPE_CHECKING:
    from loaders.legacy import LegacySource


@dataclass(frozen=True)
class LoadOptions:
    """What to load, and how (the command line's options plus the settings)."""

    warehouse: Path
    api_url: str
    start: datetime | None = None
    end: datetime | None = None
    stores: tuple[str, ...] = ()
    full_refresh: bool = False
    overlap_hours: int = 24
    page_size: int = 100_000
    workers: int = 4
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    http_timeout_s: float = 60.0
    lock_wait_s: float = 30.0
    #: "api": the batched API; "legacy": the original endpoint, stores from `fleet`.
    source: str = "api"
    fleet: Path | None = None
    #: The legacy source's now (naive UTC); None: the real clock (the batched API says its own).
    now: datetime | None = None
    #: Keep-alive connections of the legacy source.
    connections: int = 8
    #: Hours per task of the legacy source (a task is one page: one transaction); a week:
    #: fewer, larger writes (each costs several DuckDB statements), and a kill loses at most
    #: the weeks in flight.
    legacy_task_hours: int = 168


@dataclass
class StoreCounts:
    """Rows a run read for a store: accepted, of which new and changed; rejected; pages."""

    n_rows: int = 0
    n_new_rows: int = 0
    n_changed_rows: int = 0
    n_rejects: int = 0
    n_pages: int = 0


@dataclass
class RunResult:
    """What a run did, for the summary."""

    load_id: str
    status: str = "running"
    mode: str = "incremental"
    window_start: datetime | None = None
    window_end: datetime | None = None
    per_store: dict[str, StoreCounts] = field(default_factory=dict)
    n_tasks: int = 0
    n_retries: int = 0
    api_now: datetime | None = None
    aborted_runs: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    error: str | None = None

    def total(self) -> StoreCounts:
        out = StoreCounts()
        for c in self.per_store.values():
            out.n_rows += c.n_rows
            out.n_new_rows += c.n_new_rows
            out.n_changed_rows += c.n_changed_rows
            out.n_rejects += c.n_rejects
            out.n_pages += c.n_pages
        return out


class Reporter:
    """Hooks for progress: planned work, each written page, each retry (all optional)."""

    def planned(self, result: RunResult, n_readings: int, sensors: dict[str, int]) -> None: ...

    def page_written(self, task: plan.Task, page: Page, counts: writer.PageCounts) -> None: ...

    def retry(self, what: str, attempt: int, error: TransientError, wait_s: float) -> None: ...


def new_load_id(started_at: datetime) -> str:
    return f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def select_stores(stores: list[Store], wanted: Sequence[str]) -> list[Store]:
    """The stores asked for (all when none), in the API's order; OptionError on unknown ids."""
    known = {s.store_id: s for s in stores}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise OptionError(
            f"unknown store(s) {', '.join(repr(u) for u in unknown)}; "
            f"the API has: {', '.join(sorted(known)) or 'no stores'}"
        )
    return [s for s in stores if not wanted or s.store_id in wanted]


def plan_tasks(
    stores: list[Store],
    options: LoadOptions,
    now: datetime,
    progress: dict[str, tuple[list, list]],
    hours_per_task: int | None = None,
) -> list[plan.Task]:
    """The tasks of this run, store by store (see loaders.plan), interleaved across stores.

    Tasks hold `hours_per_task` hours, by default as many as fill a page of `page_size`.
    """
    per_store = []
    for store in stores:
        first = store.first_hour_utc()
        if options.start is not None or options.end is not None:
            low = max(first, options.start) if options.start else first
            high = min(now, options.end) if options.end else now
            windows = plan.clip([(low, high)], first, now)
        else:
            intended, done = progress.get(store.store_id, ([], []))
            windows = plan.incremental_windows(first, now, intended, done, options.overlap_hours)
        hours = hours_per_task or max(1, options.page_size // max(1, len(store.sensors)))
        per_store.append(plan.chunk(store.store_id, windows, hours))
    # Round-robin across stores so every store advances and the workers stay busy.
    tasks: list[plan.Task] = []
    for i in range(max((len(t) for t in per_store), default=0)):
        tasks.extend(t[i] for t in per_store if i < len(t))
    return tasks


class BatchedSource:
    """The batched API (/health, /api/v1/stores, /api/v1/readings), with worker threads."""

    def __init__(self, api: ApiClient, options: LoadOptions) -> None:
        self.api = api
        self.options = options
        self.stop = api.stop or threading.Event()

    def now(self) -> datetime:
        """The API's now (its /health), floored to the hour."""
        health = self.api.health()
        return plan.floor_hour(_parse_now(health.get("now_utc"), self.options.api_url))

    def stores(self) -> list[Store]:
        return self.api.stores(concurrency=self.options.workers)

    def start_fetching(
        self, stores: dict[str, Store], tasks: list[plan.Task], out: queue.Queue, done: object
    ) -> list[threading.Thread]:
        """Worker threads taking tasks until none is left; each ends by putting `done`."""
        todo: queue.Queue = queue.Queue()
        for task in tasks:
            todo.put(task)
        n_workers = min(self.options.workers, len(tasks))
        threads = [
            threading.Thread(
                target=_fetch_worker,
                args=(self.api, stores, todo, out, self.stop, self.options.page_size),
                name=f"loader-fetch-{i}",
                daemon=True,
            )
            for i in range(n_workers)
        ]
        for t in threads:
            t.start()
        return threads

    def close(self) -> None:
        self.api.close()


_DONE = object()
#: Pages already fetched are written together, in one transaction of at most this many rows.
MAX_ROWS_PER_TRANSACTION = 500_000


def _fetch_worker(
    api: ApiClient,
    stores: dict[str, Store],
    tasks: queue.Queue,
    out: queue.Queue,
    stop: threading.Event,
    page_size: int,
) -> None:
    """Take tasks until none is left; put (task, page) for every page, then _DONE."""
    try:
        while not stop.is_set():
            try:
                task = tasks.get_nowait()
            except queue.Empty:
                break
            store = stores[task.store_id]
            sensor_ids = store.sensor_ids
            cursor = None
            while not stop.is_set():
                page = api.readings_page(store, sensor_ids, task.start, task.end, page_size, cursor)
                out.put((task, page))
                cursor = page.next_cursor
                if cursor is None:
                    break
    except Stopped:
        pass
    except BaseException as exc:  # handed to the writing thread, which stops the run
        out.put(exc)
    finally:
        out.put(_DONE)


def _run_tasks(
    con: duckdb.DuckDBPyConnection,
    source: BatchedSource | LegacySource,
    stores: dict[str, Store],
    tasks: list[plan.Task],
    options: LoadOptions,
    result: RunResult,
    reporter: Reporter,
    stop: threading.Event,
) -> None:
    """Fetch the tasks' pages on the source's threads; write them here, a batch per transaction."""
    pages: queue.Queue = queue.Queue(maxsize=2 * options.workers)
    threads = source.start_fetching(stores, tasks, pages, _DONE)
    n_workers = len(threads)
    running = n_workers
    try:
        while running:
            # Every page waiting in the queue goes into one transaction (up to a bound): fewer,
            # larger commits when the writer is behind, each still whole pages with progress.
            batch: list[tuple[plan.Task, Page]] = []
            n_rows = 0
            item = pages.get()
            while True:
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    batch.append(item)
                    n_rows += item[1].n_accepted
                if n_rows >= MAX_ROWS_PER_TRANSACTION or not running:
                    break
                try:
                    item = pages.get_nowait()
                except queue.Empty:
                    break
            if not batch:
                continue
            all_counts = writer.write_pages(con, result.load_id, batch)
            for (task, page), counts in zip(batch, all_counts, strict=True):
                c = result.per_store.setdefault(task.store_id, StoreCounts())
                c.n_rows += counts.n_rows
                c.n_new_rows += counts.n_new_rows
                c.n_changed_rows += counts.n_changed_rows
                c.n_rejects += counts.n_rejects
                c.n_pages += 1
                reporter.page_written(task, page, counts)
    finally:
        stop.set()
        # Unblock workers waiting to put a page, then let them end.
        while any(t.is_alive() for t in threads):
            with contextlib.suppress(queue.Empty):
                pages.get(timeout=0.05)
        for t in threads:
            t.join()


def run_load(
    options: LoadOptions,
    reporter: Reporter | None = None,
    *,
    on_started: Callable[[RunResult], None] | None = None,
) -> RunResult:
    """Load what `options` asks for; the run is recorded in raw.load_runs whatever happens."""
    reporter = reporter or Reporter()
    clock = time.perf_counter()
    started_at = writer.utc_now()
    result = RunResult(load_id=new_load_id(started_at))
    explicit = options.start is not None or options.end is not None
    result.mode = (
        "full-refresh" if options.full_refresh else "window" if explicit else "incremental"
    )

    stop = threading.Event()

    def count_retry(what: str, attempt: int, error: TransientError, wait_s: float) -> None:
        result.n_retries += 1
        reporter.retry(what, attempt, error, wait_s)

    source = make_source(options, stop, count_retry)
    try:
        con = warehouse.connect(options.warehouse, options.lock_wait_s)
    except BaseException:
        source.close()
        raise
    try:
        warehouse.ensure_schema(con)
        con.execute("begin transaction")
        result.aborted_runs = writer.abort_stale_runs(con)
        writer.start_run(con, result.load_id, started_at, result.mode, options.api_url)
        con.execute("commit")
        if on_started is not None:
            on_started(result)
        try:
            try:
                _load(con, source, options, result, reporter, stop)
            except (RuntimeError, duckdb.Error) as exc:
                # Ctrl-C during a DuckDB query ends that query with an error ("Query
                # interrupted", "KeyboardInterrupt: ") instead of raising KeyboardInterrupt:
                # it is still the user's Ctrl-C.
                message = str(exc).lower()
                if "query interrupted" in message or "keyboardinterrupt" in message:
                    raise KeyboardInterrupt from exc
                raise
        except BaseException as exc:
            result.status = "failed"
            result.error = _describe(exc)
            result.duration_s = time.perf_counter() - clock
            # an interrupt inside a page's transaction leaves it aborted: roll it back (the
            # page is lost whole, as intended) so that the run can be recorded as failed
            with contextlib.suppress(duckdb.Error):
                con.execute("rollback")
            try:
                writer.finish_run(con, result.load_id, "failed", result.duration_s, result.error)
            except duckdb.Error as record_exc:  # keep the original error in front
                exc.add_note(f"(and the run could not be recorded as failed: {record_exc})")
            raise
        result.status = "success"
        result.duration_s = time.perf_counter() - clock
        writer.finish_run(con, result.load_id, "success", result.duration_s)
        return result
    finally:
        stop.set()
        source.close()
        con.close()


def make_source(
    options: LoadOptions,
    stop: threading.Event,
    on_retry: Callable[[str, int, TransientError, float], None],
) -> BatchedSource | LegacySource:
    """The source `options.source` names: the batched API, or the original endpoint."""
    if options.source == "legacy":
        # Imported here: the batched path starts as fast as before (no asyncio, no YAML).
        from loaders.fleet import read_fleet
        from loaders.legacy import LegacySource

        if options.fleet is None:
            raise OptionError("--source legacy needs --fleet FILE: the stores the API serves")
        return LegacySource(
            options.api_url,
            read_fleet(options.fleet),
            now=options.now,
            connections=options.connections,
            timeout_s=options.http_timeout_s,
            policy=options.policy,
            stop=stop,
            on_retry=on_retry,
        )
    if options.source != "api":
        raise OptionError(f"unknown source {options.source!r}; choose api or legacy")
    api = ApiClient(
        options.api_url,
        timeout_s=options.http_timeout_s,
        policy=options.policy,
        stop=stop,
        on_retry=on_retry,
    )
    return BatchedSource(api, options)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    if isinstance(exc, LoaderError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _load(
    con: duckdb.DuckDBPyConnection,
    source: BatchedSource | LegacySource,
    options: LoadOptions,
    result: RunResult,
    reporter: Reporter,
    stop: threading.Event,
) -> None:
    now = source.now()
    result.api_now = now
    all_stores = source.stores()
    stores = select_stores(all_stores, options.stores)
    writer.write_stores(con, all_stores, result.load_id, writer.utc_now())
    store_ids = [s.store_id for s in stores]
    if options.full_refresh:
        writer.full_refresh(con, store_ids)
    progress = writer.progress_intervals(con)
    hours_per_task = options.legacy_task_hours if options.source == "legacy" else None
    tasks = plan_tasks(stores, options, now, progress, hours_per_task)
    result.n_tasks = len(tasks)
    result.window_start = min((t.start for t in tasks), default=options.start)
    result.window_end = max((t.end for t in tasks), default=options.end or now)
    writer.plan_run(con, result.load_id, tasks, (result.window_start, result.window_end), store_ids)
    for store_id in store_ids:
        result.per_store.setdefault(store_id, StoreCounts())
    by_id = {s.store_id: s for s in stores}
    n_readings = sum(t.hours * len(by_id[t.store_id].sensors) for t in tasks)
    reporter.planned(result, n_readings, {s.store_id: len(s.sensors) for s in stores})
    if tasks:
        _run_tasks(con, source, by_id, tasks, options, result, reporter, stop)


def _parse_now(value: object, api_url: str) -> datetime:
    """The simulator's now_utc (ISO 8601) as a naive UTC datetime."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(f"{api_url}/health gave now_utc={value!r}, not an ISO 8601 time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
