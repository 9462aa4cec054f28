"""Scale benchmark: the whole pipeline for a chain of N stores, and what one hourly cycle costs.

`python -m bench scale --stores 5,25,100 --one-year 25` builds, for each N, a warehouse with
the full history of the simulator's fleet of N stores (the default five, then synthetic ones)
on a fixed clock (2026-11-01T00:00:00Z), measuring the full load, the full `dbt build` and the
publish; then it moves the clock on one hour at a time and measures whole hourly cycles (load,
build, publish, alerts) and each of their steps. For every step: wall seconds, the peak memory
of its whole process tree (the sum of the resident sets of the process and its children,
sampled every 50 ms, and never below the kernel's own peak for the process), and the rows it
handled (readings loaded, sensor-hours recomputed, rows published, open alerts).

The warehouses are kept under `.run/scale/stores-N/` with the figures of their full build, so
a second call reuses them and measures new cycles only (`--rebuild` starts over). With
`--one-year N`, a second warehouse of N stores models one year of history only
(`footfall_start_date` a year before the clock) and its cycle is printed beside the full
history's: the cycle must follow the new data, not the history (issue 9: at most 1.5 times).

Targets (issue 9, a 2-core 24 GB machine): N = 100: full load <= 3 min and 2 GB, full build
<= 15 min and 12 GB, one hourly cycle <= 60 s and 4 GB, publish <= 10 s and 1 GB, holding the
warehouse <= 5 s; N = 5: incremental build after one new hour <= 10 s, full build <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from footfall import dbtcli, services

REPO_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = REPO_ROOT / ".run" / "scale"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
FORMAT = 2  # bump when the cached figures' meaning changes
TARGETS = {
    # (stores, step): (seconds, megabytes)
    (100, "full load"): (180.0, 2048.0),
    (100, "full build"): (900.0, 12288.0),
    (100, "publish (full)"): (None, None),
    (100, "cycle"): (60.0, 4096.0),
    (100, "cycle: publish"): (10.0, 1024.0),
    (5, "cycle: build"): (10.0, None),
    (5, "full build"): (30.0, None),
}


@dataclass
class Step:
    """One measured command: wall seconds, peak memory of its process tree (MB), rows."""

    name: str
    seconds: float
    peak_mb: float
    rows: int | None = None
    detail: str = ""


@dataclass
class Figures:
    """What was measured for one fleet size."""

    stores: int
    readings: int = 0
    full: list[Step] = field(default_factory=list)
    cycles: list[list[Step]] = field(default_factory=list)
    one_year_cycles: list[list[Step]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Measuring a process tree
# --------------------------------------------------------------------------------------------
def _tree_rss_kb(pid: int) -> int:
    """The resident set of a process and all its descendants, in kB (0 once it is gone)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(name: str, command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)):
    """Run command; return (Step, its output). Raise with the output's tail when it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak_kb = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.is_set():
            peak_kb = max(peak_kb, _tree_rss_kb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        tail = "\n".join(output.splitlines()[-40:])
        raise RuntimeError(f"{name} failed ({code}): {' '.join(command)}\n{tail}")
    peak_mb = max(peak_kb, usage.ru_maxrss) / 1024
    return Step(name, seconds, peak_mb), output


# --------------------------------------------------------------------------------------------
# The steps, as a user (or the schedule) runs them
# --------------------------------------------------------------------------------------------
def _env(work: Path, url: str) -> dict[str, str]:
    env = {
        **os.environ,
        **dbtcli.dbt_env(),
        "FOOTFALL_API_URL": url,
        "FOOTFALL_WAREHOUSE": str(work / "warehouse.duckdb"),
        "FOOTFALL_SERVING": str(work / "serving.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_USE_COLORS": "false",
    }
    return env


def _readings(work: Path) -> int:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (n,) = con.execute("select count(*) from raw.sensor_readings").fetchone()
    return int(n)


def _loaded(output: str) -> int | None:
    for line in output.splitlines():
        if line.startswith("total "):
            return int(line.split()[2].replace(",", ""))
    return None


def _published(output: str) -> tuple[int | None, str]:
    rows = re.search(r"([\d,]+) rows (?:written|copied)", output)
    held = re.search(r"held the warehouse ([\d.]+) s", output)
    return (
        int(rows.group(1).replace(",", "")) if rows else None,
        f"held the warehouse {held.group(1)} s" if held else "",
    )


def _built(work: Path) -> tuple[int, str]:
    """(sensor-hours the build recomputed, what it ran): from run_results and the change log."""
    results = json.loads((work / "target" / "run_results.json").read_text())
    kinds: dict[str, int] = {}
    for r in results["results"]:
        kind = r["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    invocation = results["metadata"]["invocation_id"]
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        (rows,) = con.execute(
            """
            select count(*)
            from fct_sensor_traffic_hourly as t
            inner join footfall_changes as c
                on c.model_name = 'fct_sensor_traffic_hourly' and c.invocation_id = ?
                and (c.store_id is null or (c.store_id = t.store_id
                     and (c.changed_from is null or t.hour_start_utc >= c.changed_from)))
            """,
            [invocation],
        ).fetchone()
    return int(rows), ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))


def load_step(name: str, env: dict[str, str]) -> Step:
    step, output = measure(name, [sys.executable, "-m", "loaders", "-q"], env)
    step.rows = _loaded(output)
    return step


def build_step(name: str, env: dict[str, str], work: Path, args: list[str]) -> Step:
    step, _ = measure(name, [dbtcli.dbt_executable(), *args], env)
    step.rows, step.detail = _built(work)
    return step


def publish_step(name: str, env: dict[str, str]) -> Step:
    step, output = measure(name, [sys.executable, "-m", "footfall.publish"], env)
    step.rows, step.detail = _published(output)
    return step


def alerts_step(name: str, env: dict[str, str]) -> Step:
    step, output = measure(name, [sys.executable, "-m", "footfall.alerts"], env, ok=(0, 1))
    match = re.search(r"(\d+) open alerts?", output)
    step.rows = int(match.group(1)) if match else None
    return step


def _sim_env(stores: int, now: datetime) -> dict[str, str]:
    return {
        "FOOTFALL_SIM_STORES": str(stores),
        "FOOTFALL_SIM_NOW": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def full_history(stores: int, work: Path, extra_vars: dict[str, object] | None) -> list[Step]:
    """A new warehouse of N stores' history: the full load, build and publish, measured."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with services.simulator(_sim_env(stores, NOW), timeout_s=120) as url:
        env = _env(work, url)
        steps = [load_step("full load", env)]
    full_args = [
        *dbtcli.FULL_BUILD_ARGS,
        *(["--vars", json.dumps(extra_vars)] if extra_vars else []),
    ]
    steps.append(build_step("full build", env, work, full_args))
    steps.append(publish_step("publish (full)", env))
    return steps


def cycle(stores: int, work: Path, now: datetime, extra_vars: dict[str, object] | None):
    """One hourly cycle with the clock at `now`: load, build, publish, alerts, each measured."""
    with services.simulator(_sim_env(stores, now), timeout_s=120) as url:
        env = _env(work, url)
        steps = [load_step("cycle: load", env)]
    cycle_env = {**env, **dbtcli.dbt_env(env, cycle=True)}
    cycle_args = dbtcli.with_vars(dbtcli.CYCLE_BUILD_ARGS, extra_vars)
    steps.append(build_step("cycle: build", cycle_env, work, cycle_args))
    steps.append(publish_step("cycle: publish", env))
    steps.append(alerts_step("cycle: alerts", env))
    total = Step(
        "cycle",
        sum(s.seconds for s in steps),
        max(s.peak_mb for s in steps),
        steps[0].rows,
        "load + build + publish + alerts",
    )
    return [*steps, total]


# --------------------------------------------------------------------------------------------
# Cached figures, so that a second call reuses the built warehouses
# --------------------------------------------------------------------------------------------
def _state_path(work: Path) -> Path:
    return work / "bench.json"


def _read_state(work: Path) -> dict | None:
    path = _state_path(work)
    if not (path.is_file() and (work / "warehouse.duckdb").is_file()):
        return None
    state = json.loads(path.read_text())
    return state if state.get("format") == FORMAT else None


def _write_state(work: Path, state: dict) -> None:
    _state_path(work).write_text(json.dumps(state, indent=1, default=str))


def _steps(rows: list[dict]) -> list[Step]:
    return [Step(**r) for r in rows]


def prepare(stores: int, work: Path, rebuild: bool, extra_vars: dict[str, object] | None):
    """The warehouse of N stores and its full-history figures, built now or read back."""
    state = None if rebuild else _read_state(work)
    if state is None:
        print(f"  building the warehouse of {stores} stores in {work} ...", flush=True)
        full = full_history(stores, work, extra_vars)
        state = {"format": FORMAT, "full": [asdict(s) for s in full], "clock_hours": 0}
        _write_state(work, state)
    else:
        print(f"  reusing {work} (full-history figures from its build)", flush=True)
    return state


def run_cycles(stores: int, work: Path, n: int, extra_vars: dict[str, object] | None):
    """n more hourly cycles on the warehouse in work, each one hour after the last."""
    state = _read_state(work)
    assert state is not None
    out = []
    for _ in range(n):
        state["clock_hours"] += 1
        now = NOW + timedelta(hours=state["clock_hours"])
        print(f"  cycle at {now:%Y-%m-%d %H:%M} UTC ...", flush=True)
        out.append(cycle(stores, work, now, extra_vars))
        _write_state(work, state)
    return out


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------
def _load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def _median_steps(runs: list[list[Step]]) -> list[Step]:
    """Per step name, the median wall time and memory over the runs (rows of the first)."""
    if not runs:
        return []
    out = []
    for i, first in enumerate(runs[0]):
        same = [r[i] for r in runs if len(r) > i]
        out.append(
            Step(
                first.name,
                statistics.median(s.seconds for s in same),
                statistics.median(s.peak_mb for s in same),
                first.rows,
                f"median of {len(same)}; {first.detail}".rstrip("; "),
            )
        )
    return out


def _cell(step: Step | None) -> str:
    if step is None:
        return "-"
    rows = f", {step.rows:,} rows" if step.rows is not None else ""
    held = re.search(r"held the warehouse [\d.]+ s", step.detail)
    return f"{step.seconds:.1f} s, {step.peak_mb / 1024:.2f} GB{rows}" + (
        f", {held.group(0)}" if held else ""
    )


def _verdict(stores: int, step: Step) -> str:
    target = TARGETS.get((stores, step.name))
    if not target:
        return ""
    seconds, mb = target
    parts = []
    if seconds is not None:
        parts.append(f"<= {seconds:g} s {'ok' if step.seconds <= seconds else 'MISSED'}")
    if mb is not None:
        parts.append(f"<= {mb / 1024:g} GB {'ok' if step.peak_mb <= mb else 'MISSED'}")
    return "  [" + ", ".join(parts) + "]" if parts else ""


def report(all_figures: list[Figures]) -> None:
    """The figures side by side, with the growth against the smallest fleet."""
    print(f"\nmachine now: {_load_average()}")
    names: list[str] = []
    table: dict[int, dict[str, Step]] = {}
    for fig in all_figures:
        rows = {s.name: s for s in fig.full}
        rows.update({s.name: s for s in _median_steps(fig.cycles)})
        for s in _median_steps(fig.one_year_cycles):
            rows[f"one-year history {s.name}"] = s
        table[fig.stores] = rows
        names += [n for n in rows if n not in names]
    base = all_figures[0]
    header = "".join(
        f"{f.stores:>4} stores ({f.readings:,} readings)".ljust(44) for f in all_figures
    )
    print(f"\n{'step':<34}{header}")
    for name in names:
        line = f"{name:<34}"
        for fig in all_figures:
            step = table[fig.stores].get(name)
            cell = _cell(step)
            ref = table[base.stores].get(name)
            if step and ref and fig is not base and ref.seconds > 0:
                cell += f" (x{step.seconds / ref.seconds:.1f})"
            line += f"{cell:<64}"
        print(line)
    print()
    for fig in all_figures:
        for name, step in table[fig.stores].items():
            verdict = _verdict(fig.stores, step)
            if verdict:
                print(f"{fig.stores} stores, {name}: {_cell(step)}{verdict}")
        full_cycle = table[fig.stores].get("cycle")
        year_cycle = table[fig.stores].get("one-year history cycle")
        if full_cycle and year_cycle:
            ratio = full_cycle.seconds / year_cycle.seconds
            verdict = "ok" if ratio <= 1.5 else "MISSED"
            print(
                f"{fig.stores} stores: cycle with the full history / with one year of history: "
                f"{full_cycle.seconds:.1f} s / {year_cycle.seconds:.1f} s = {ratio:.2f} "
                f"(target <= 1.5: {verdict})"
            )
        for run in fig.cycles:
            print(
                f"{fig.stores} stores, cycle run: "
                + "; ".join(f"{s.name.removeprefix('cycle: ')} {s.seconds:.1f} s" for s in run)
            )
    print(f"\nmachine after: {_load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument(
        "--stores", default="5,25,100", help="fleet sizes, comma-separated (default 5,25,100)"
    )
    parser.add_argument("--cycles", type=int, default=3, help="hourly cycles per size (3)")
    parser.add_argument("--rebuild", action="store_true", help="build the warehouses anew")
    parser.add_argument(
        "--one-year",
        default="",
        help="fleet sizes for which a second warehouse models one year of history only, "
        "its cycles printed beside the full history's (e.g. 25)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.stores.split(",") if s.strip()]
    print(f"machine: {_load_average()} (figures from a busy machine are not evidence)")
    figures = []
    for stores in sizes:
        print(f"\n{stores} stores:", flush=True)
        fig = Figures(stores)
        work = RUN_DIR / f"stores-{stores}"
        state = prepare(stores, work, args.rebuild, None)
        fig.full = _steps(state["full"])
        fig.readings = _readings(work)
        fig.cycles = run_cycles(stores, work, args.cycles, None)
        if str(stores) in args.one_year.split(","):
            year_vars = {"footfall_start_date": (NOW - timedelta(days=365)).date().isoformat()}
            year_work = RUN_DIR / f"stores-{stores}-one-year"
            prepare(stores, year_work, args.rebuild, year_vars)
            fig.one_year_cycles = run_cycles(stores, year_work, args.cycles, year_vars)
        figures.append(fig)
    report(figures)
    return 0


def run(argv: list[str] | None = None) -> None:
    """`python -m bench` runs the default fleet only; `python -m bench scale --stores ...` more."""
    main(["--stores", "5", "--cycles", "3"] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
