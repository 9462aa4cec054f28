"""`python -m loaders` (`make load`): the command line of the loader."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from footfall import settings
from loaders.errors import LoaderError, OptionError, TransientError
from loaders.load import LoadOptions, Reporter, RunResult, run_load
from loaders.pages import Page
from loaders.plan import HOUR, Task
from loaders.retry import RetryPolicy
from loaders.writer import PageCounts

DESCRIPTION = """\
Load the sensor API (the simulator) into the raw tables of the DuckDB warehouse:
raw.stores, raw.sensors, raw.sensor_readings (plus raw.sensor_readings_rejects,
raw.sensor_readings_history, raw.load_runs and raw.load_progress).

Without --start/--end, each store's first run reads its full history since its opening and
later runs read only what is new since the watermark, re-reading the last
FOOTFALL_LOADER_OVERLAP_HOURS hours for late data, plus whatever an interrupted run left.
With --start and/or --end the window is read in full (again, if it was loaded before).
Re-running never duplicates a reading; a reading the API now reports differently is updated
and its previous value kept in raw.sensor_readings_history."""

EPILOG = """\
times: YYYY-MM-DD (midnight UTC) or ISO 8601 (2024-01-01T00:00:00Z, 2024-01-01T01:00+01:00;
without an offset, UTC), on an hour boundary. Windows are [start, end), clipped to each
store's opening and to the API's now.

examples:
  python -m loaders                                  # what is new (the first time: everything)
  python -m loaders --stores paris,berlin            # only two stores
  python -m loaders --start 2024-01-01 --end 2024-02-01
  python -m loaders --full-refresh --stores madrid   # forget madrid's readings, reload them
  python -m loaders --source legacy --fleet loaders/fleets/default.yaml
                                                     # a chain with only the original API

settings (environment): FOOTFALL_WAREHOUSE, FOOTFALL_API_URL, FOOTFALL_LOADER_* (README.md).

exit codes: 0 loaded; 1 the load failed (recorded in raw.load_runs); 2 bad option;
3 the API does not answer; 4 the API kept failing; 5 the warehouse is locked."""


def parse_time(text: str, option: str) -> datetime:
    """A command-line time as a naive UTC datetime on an hour boundary; OptionError if not."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError:
        raise OptionError(
            f"{option} {text!r} is not a date or time; use YYYY-MM-DD or ISO 8601 such as "
            "2024-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.minute or moment.second or moment.microsecond:
        raise OptionError(
            f"{option} {text!r} is not on an hour boundary (readings are hourly); "
            f"use e.g. {moment:%Y-%m-%dT%H}:00:00Z"
        )
    return moment


def parse_stores(values: list[str]) -> tuple[str, ...]:
    """--stores a,b --stores c -> ('a', 'b', 'c'), lower-cased, without repeats."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().lower()
            if name and name not in out:
                out.append(name)
    return tuple(out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--start", metavar="TIME", help="first hour to read (default: as above)")
    parser.add_argument("--end", metavar="TIME", help="read hours before this (default: now)")
    parser.add_argument(
        "--stores",
        metavar="IDS",
        action="append",
        default=[],
        help="comma-separated store ids, e.g. paris,berlin (default: every store)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="delete the stores' readings and progress first, then load their full history",
    )
    parser.add_argument(
        "--source",
        choices=("api", "legacy"),
        default="api",
        help="api: the batched API (default); legacy: an API with only the original "
        "one-reading endpoint (needs --fleet)",
    )
    parser.add_argument(
        "--fleet",
        metavar="FILE",
        help="with --source legacy: the stores (YAML or CSV; see loaders/fleets/default.yaml)",
    )
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="with --source legacy: the present, for an API whose clock is not the real one "
        "(a simulator with FOOTFALL_SIM_NOW); hours before its hour are read (default: now)",
    )
    parser.add_argument(
        "--connections",
        metavar="N",
        type=int,
        default=8,
        help="with --source legacy: keep-alive connections to the API (default 8)",
    )
    parser.add_argument("--warehouse", metavar="PATH", help="DuckDB file (FOOTFALL_WAREHOUSE)")
    parser.add_argument("--api-url", metavar="URL", help="the sensor API (FOOTFALL_API_URL)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")
    noise.add_argument(
        "-v", "--verbose", action="store_true", help="a line per page written and per retry"
    )
    return parser


def options_from_args(args: argparse.Namespace) -> LoadOptions:
    """LoadOptions from the parsed arguments and the settings; OptionError when inconsistent."""
    core = settings.core()
    conf = settings.loader()
    start = parse_time(args.start, "--start") if args.start else None
    end = parse_time(args.end, "--end") if args.end else None
    if start is not None and end is not None and end <= start:
        raise OptionError(f"--end {args.end} is not after --start {args.start}")
    if args.full_refresh and (start is not None or end is not None):
        raise OptionError(
            "--full-refresh reloads the whole history; it cannot be combined with --start/--end"
        )
    warehouse = Path(args.warehouse) if args.warehouse else core.warehouse
    legacy = args.source == "legacy"
    if legacy and not args.fleet:
        raise OptionError("--source legacy needs --fleet FILE (e.g. loaders/fleets/default.yaml)")
    if not legacy and (args.fleet or args.now):
        raise OptionError(
            "--fleet and --now go with --source legacy (the batched API lists its stores "
            "and says its now)"
        )
    if args.connections < 1:
        raise OptionError(f"--connections {args.connections}: give at least 1")
    return LoadOptions(
        warehouse=warehouse,
        api_url=(args.api_url or core.api_url).rstrip("/"),
        start=start,
        end=end,
        stores=parse_stores(args.stores),
        full_refresh=args.full_refresh,
        overlap_hours=conf.overlap_hours,
        page_size=conf.page_size,
        workers=conf.workers,
        policy=RetryPolicy(conf.max_attempts, conf.backoff_s, conf.backoff_max_s),
        http_timeout_s=conf.http_timeout_s,
        lock_wait_s=conf.lock_wait_s,
        source=args.source,
        fleet=Path(args.fleet) if args.fleet else None,
        now=parse_time(args.now, "--now") if args.now else None,
        connections=args.connections,
    )


def _z(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%dT%H:%M:%SZ}"


class ConsoleReporter(Reporter):
    """A progress bar on stderr (a terminal only), page and retry lines when verbose."""

    def __init__(self, stream: TextIO, *, bar: bool, verbose: bool) -> None:
        self.stream = stream
        self.bar_enabled = bar
        self.verbose = verbose
        self.bar = None
        self.sensors: dict[str, int] = {}
        self.done: dict[tuple[str, datetime], datetime] = {}

    def planned(self, result: RunResult, n_readings: int, sensors: dict[str, int]) -> None:
        self.sensors = dict(sensors)
        if self.bar_enabled and n_readings:
            from tqdm import tqdm

            self.bar = tqdm(
                total=n_readings,
                unit=" readings",
                unit_scale=True,
                file=self.stream,
                desc=f"loading {len(result.per_store)} store(s)",
                dynamic_ncols=True,
            )

    def page_written(self, task: Task, page: Page, counts: PageCounts) -> None:
        key = (task.store_id, task.start)
        before = self.done.get(key, task.start)
        if page.done_until is not None and page.done_until > before:
            self.done[key] = page.done_until
            if self.bar is not None:
                hours = (page.done_until - before) / HOUR
                self.bar.update(int(hours * self.sensors.get(task.store_id, 1)))
        if self.verbose:
            print(
                f"page {task.store_id} {_z(task.start)}..{_z(task.end)}: {counts.n_rows} rows, "
                f"{counts.n_new_rows} new, {counts.n_changed_rows} changed, "
                f"{counts.n_rejects} rejects; done until {_z(page.done_until)}",
                file=self.stream,
                flush=True,
            )

    def retry(self, what: str, attempt: int, error: TransientError, wait_s: float) -> None:
        if self.verbose:
            print(
                f"retry {what}: try {attempt} failed ({error}); again in {wait_s:.2f} s",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def summary(result: RunResult, warehouse: Path) -> str:
    """The end-of-run summary: status, window, and rows per store."""
    lines = [
        f"load {result.load_id}: {result.status} in {result.duration_s:.1f} s ({result.mode})",
        f"window {_z(result.window_start)} .. {_z(result.window_end)}, {result.n_tasks} task(s), "
        f"{result.n_retries} retried request(s)",
    ]
    if result.n_tasks == 0 and result.status == "success":
        why = (
            "no hour of the window lies between the stores' opening and"
            if result.mode == "window"
            else "every store is loaded up to"
        )
        lines.append(f"nothing to read: {why} the API's now, {_z(result.api_now)}")
    if result.aborted_runs:
        lines.append(
            f"marked {len(result.aborted_runs)} interrupted run(s) as aborted: "
            + ", ".join(result.aborted_runs)
        )
    header = f"{'store':<14}{'readings':>12}{'new':>12}{'changed':>10}{'rejects':>10}"
    lines.append(header)
    rows = [*sorted(result.per_store.items()), ("total", result.total())]
    for name, c in rows:
        lines.append(
            f"{name:<14}{c.n_rows:>12,}{c.n_new_rows:>12,}{c.n_changed_rows:>10,}{c.n_rejects:>10,}"
        )
    lines.append(f"warehouse {warehouse}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        options = options_from_args(args)
    except (OptionError, settings.SettingError) as exc:
        parser.error(str(exc))
    reporter = ConsoleReporter(
        sys.stderr, bar=not args.quiet and sys.stderr.isatty(), verbose=args.verbose
    )
    started: list[RunResult] = []
    try:
        result = run_load(options, reporter, on_started=started.append)
    except OptionError as exc:
        reporter.close()
        parser.error(str(exc))
    except LoaderError as exc:
        reporter.close()
        recorded = f" (run {started[0].load_id} recorded in raw.load_runs)" if started else ""
        print(f"footfall loader: {exc}{recorded}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.close()
        print(
            "footfall loader: interrupted; what was written is kept, run again to finish",
            file=sys.stderr,
        )
        return 130
    reporter.close()
    if not args.quiet:
        print(summary(result, options.warehouse))
    return 0
