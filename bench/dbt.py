"""dbt benchmark: `dbt build` on the default fleet's full history, then after one new hour.

Targets (issue 4): a full `dbt build` (models and data tests) on the default fleet's history
since opening (about 3 million readings) in at most 30 s; an incremental `dbt build` after one
new hour in at most 10 s; dbt's peak memory at most 4 GB. The data come the way a user's do: a
simulator with a fixed clock (2026-11-01T00:00:00Z, then one hour later) and the real loader,
into a temporary warehouse. dbt runs as a subprocess with its own target and log paths; its
peak memory is the maximum resident set size the kernel reports for it (wait4). The models
that took longest (run_results.json) are printed, to show where the time goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bench.loader import simulator

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
NOW = "2026-11-01T00:00:00Z"
ONE_HOUR_LATER = "2026-11-01T01:00:00Z"
FULL_TARGET_S = 30.0
INCREMENTAL_TARGET_S = 10.0
MEMORY_TARGET_MB = 4096.0
N_SLOWEST = 8


@dataclass(frozen=True)
class DbtRun:
    """One `dbt build`: wall seconds, peak resident memory (MB), its run_results.json."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    run_results: dict[str, Any]

    def slowest(self, n: int = N_SLOWEST) -> list[tuple[float, str]]:
        """The n nodes that took longest: (seconds, unique id)."""
        timed = [(r["execution_time"], r["unique_id"]) for r in self.run_results["results"]]
        return sorted(timed, reverse=True)[:n]

    def by_kind(self) -> str:
        """'15 model 40.1 s, 94 test 20.3 s, ...': what the build ran, and the time of each kind.

        Times are summed over the nodes; dbt runs them on the profile's threads, so their sum
        can exceed the wall time, and the wall time less it is dbt's own start-up and parsing.
        """
        kinds: dict[str, tuple[int, float]] = {}
        for r in self.run_results["results"]:
            kind = r["unique_id"].split(".")[0]
            n, seconds = kinds.get(kind, (0, 0.0))
            kinds[kind] = (n + 1, seconds + r["execution_time"])
        return ", ".join(f"{n} {kind} {s:.1f} s" for kind, (n, s) in sorted(kinds.items()))


def load(url: str, warehouse: Path) -> float:
    """Run the loader (`python -m loaders -q`) against the simulator at url: wall seconds."""
    env = {**os.environ, "FOOTFALL_API_URL": url, "FOOTFALL_WAREHOUSE": str(warehouse)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "loaders", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"the loader failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return time.perf_counter() - started


def dbt_build(warehouse: Path, work: Path, *args: str) -> DbtRun:
    """Run `dbt build ARGS` on the warehouse with target and logs under work; raise on failure."""
    env = {
        **os.environ,
        "FOOTFALL_WAREHOUSE": str(warehouse),
        "DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(REPO_ROOT)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    target = work / "target"
    command = [DBT, "build", "--target-path", str(target), "--log-path", str(work / "logs")]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, *args], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise RuntimeError(f"dbt build {' '.join(args)} failed ({proc.returncode}):\n{tail}")
    run_results = json.loads((target / "run_results.json").read_text())
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return DbtRun(seconds, cpu_seconds, usage.ru_maxrss / 1024, run_results)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _print_build(title: str, run: DbtRun, target_s: float) -> None:
    print(
        f"{title}: {run.seconds:.1f} s wall "
        f"(target <= {target_s:g} s: {_verdict(run.seconds <= target_s)}), "
        f"{run.cpu_seconds:.1f} s CPU, "
        f"peak memory {run.peak_mb:,.0f} MB "
        f"(target <= {MEMORY_TARGET_MB:,.0f} MB: {_verdict(run.peak_mb <= MEMORY_TARGET_MB)})"
    )
    running = float(run.run_results.get("elapsed_time", 0.0))
    print(
        f"  dbt start-up and parsing {run.seconds - running:.1f} s, running the nodes "
        f"{running:.1f} s; node time by kind: {run.by_kind()}"
    )
    print("  slowest nodes:")
    for seconds, unique_id in run.slowest():
        print(f"    {seconds:6.2f} s  {unique_id}")


def _load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def run() -> None:
    print(f"machine: {_load_average()} (the figures assume it otherwise idle)")
    with tempfile.TemporaryDirectory(prefix="footfall-bench-dbt-") as tmp:
        work = Path(tmp)
        warehouse = work / "warehouse.duckdb"
        with simulator(NOW) as url:
            load_s = load(url, warehouse)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            (n_readings,) = con.execute("select count(*) from raw.sensor_readings").fetchone()
        print(f"loaded the default fleet's full history: {n_readings:,} readings ({load_s:.1f} s)")
        _print_build("full dbt build", dbt_build(warehouse, work), FULL_TARGET_S)
        with simulator(ONE_HOUR_LATER) as url:
            load(url, warehouse)
        _print_build(
            "incremental dbt build after one new hour",
            dbt_build(warehouse, work),
            INCREMENTAL_TARGET_S,
        )
    print(f"machine after: {_load_average()}")
