"""Loader benchmark: a real simulator with a fixed clock, the loader as a user runs it.

Targets (issue 3): the full history of the default fleet (about 3 million readings) into
DuckDB in at most 10 s end to end, with the loader's peak memory at most 1 GB; an incremental
run that finds one new hour in at most 2 s wall time, start-up included. Also printed: one
year of the fleet (the original downloader took 10 to 12 minutes for that) and the ratio.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from footfall import services

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-01T00:00:00Z"
ONE_HOUR_LATER = "2026-11-01T01:00:00Z"
FULL_TARGET_S = 10.0
MEMORY_TARGET_MB = 1024.0
INCREMENTAL_TARGET_S = 2.0
#: The original project's downloader: 10 to 12 minutes for one year of the same fleet.
ORIGINAL_YEAR_S = (600.0, 720.0)


@contextmanager
def simulator(now: str) -> Iterator[str]:
    """A simulator of the default fleet whose clock stands at `now`; yields its URL."""
    with services.simulator({"FOOTFALL_SIM_NOW": now}) as url:
        yield url


def load(url: str, warehouse: Path, *args: str) -> tuple[float, float, float, str]:
    """Run `python -m loaders ARGS`: (wall s, CPU s, peak RSS in MB, its output)."""
    env = {**os.environ, "FOOTFALL_API_URL": url, "FOOTFALL_WAREHOUSE": str(warehouse)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "loaders", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the loader failed ({proc.returncode}):\n{output}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def _total(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("total "):
            return int(line.split()[1].replace(",", ""))
    raise RuntimeError(f"no total in the loader's summary:\n{output}")


def _new(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("total "):
            return int(line.split()[2].replace(",", ""))
    raise RuntimeError(f"no total in the loader's summary:\n{output}")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _machine() -> str:
    load1, _, _ = os.getloadavg()
    cpus = os.cpu_count() or 1
    busy = " (busy: wall times are inflated)" if load1 > cpus else ""
    return f"{cpus} CPUs, load average {load1:.1f}{busy}"


def run() -> None:
    print(f"machine: {_machine()}")
    with tempfile.TemporaryDirectory(prefix="footfall-bench-loader-") as tmp:
        full = Path(tmp) / "full.duckdb"
        year = Path(tmp) / "year.duckdb"
        with simulator(NOW) as url:
            seconds, cpu, rss_mb, out = load(url, full)
            n = _total(out)
            print(
                f"full history, default fleet: {n:,} readings in {seconds:.2f} s "
                f"(target <= {FULL_TARGET_S:g} s: {_verdict(seconds <= FULL_TARGET_S)}), "
                f"{n / seconds:,.0f} readings/s; loader CPU {cpu:.2f} s"
            )
            print(
                f"peak memory of the loader: {rss_mb:,.0f} MB "
                f"(target <= {MEMORY_TARGET_MB:,.0f} MB: {_verdict(rss_mb <= MEMORY_TARGET_MB)})"
            )
            y_seconds, _, _, y_out = load(url, year, "--start", "2025-11-01", "--end", "2026-11-01")
            y_n = _total(y_out)
            low, high = (o / y_seconds for o in ORIGINAL_YEAR_S)
            print(
                f"one year of the fleet: {y_n:,} readings in {y_seconds:.2f} s; the original "
                f"downloader took 10-12 min: {low:,.0f}x to {high:,.0f}x faster"
            )
        with simulator(ONE_HOUR_LATER) as url:
            i_seconds, i_cpu, _, i_out = load(url, full)
            print(
                f"incremental run, one new hour: {i_seconds:.2f} s wall, start-up included "
                f"(target <= {INCREMENTAL_TARGET_S:g} s: "
                f"{_verdict(i_seconds <= INCREMENTAL_TARGET_S)}); {_new(i_out):,} new readings "
                f"of {_total(i_out):,} read; loader CPU {i_cpu:.2f} s"
            )
