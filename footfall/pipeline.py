"""`python -m footfall.pipeline`: the pipeline on a schedule (`make run`).

Each cycle runs, in order, the load (`python -m loaders`), the dbt build (`dbt build`), the
publication of the serving snapshot (`python -m footfall.publish`) and the alerts
(`python -m footfall.alerts`), each as a child process. A step that fails ends the cycle: the
failure is logged with the step's last output lines, and the whole cycle is tried again at the
next tick. The alerts step exiting 1 (an open critical alert) is a finding, not a failure.

Cycles start every FOOTFALL_SCHEDULE_INTERVAL_S seconds (default 3600) counted from the start
of the previous one; a cycle that overruns is followed at once by the next. Every cycle is
logged (start, each step with its duration, outcome) to stdout and to FOOTFALL_PIPELINE_LOG.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from footfall import settings

LOG = logging.getLogger("footfall.pipeline")
TAIL_LINES = 25


@dataclass(frozen=True)
class Step:
    """One step of a cycle: a command, and the exit codes that count as success."""

    name: str
    command: list[str]
    ok_codes: frozenset[int] = frozenset({0})
    show_output: bool = False


@dataclass
class StepResult:
    name: str
    returncode: int
    duration_s: float
    output: str

    @property
    def tail(self) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-TAIL_LINES:])


@dataclass
class CycleResult:
    number: int
    ok: bool
    duration_s: float
    steps: list[StepResult] = field(default_factory=list)
    failed_step: str | None = None


def default_steps(schedule: settings.ScheduleSettings) -> list[Step]:
    """Load, build, publish, alerts: the commands `make load/build/publish/alerts` run."""
    py = sys.executable
    beside = Path(py).with_name("dbt")
    dbt = str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
    return [
        Step("load", [py, "-m", "loaders", *shlex.split(schedule.load_args)]),
        Step("build", [dbt, "build", *shlex.split(schedule.dbt_args)]),
        Step("publish", [py, "-m", "footfall.publish"]),
        Step("alerts", [py, "-m", "footfall.alerts"], frozenset({0, 1}), show_output=True),
    ]


def step_environment() -> dict[str, str]:
    """The steps' environment: ours, with dbt's project and profiles where `make` puts them."""
    env = dict(os.environ)
    env.setdefault("DBT_PROJECT_DIR", str(settings.REPO_ROOT / "dbt_project"))
    env.setdefault("DBT_PROFILES_DIR", str(settings.REPO_ROOT))
    env.setdefault("DBT_USE_COLORS", "false")  # plain text in the log file
    return env


def run_step(step: Step) -> StepResult:
    """Run one step to its end, output captured (stdout and stderr together)."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            step.command,
            cwd=settings.REPO_ROOT,
            env=step_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
        code, output = proc.returncode, proc.stdout
    except OSError as exc:
        code, output = 127, f"cannot start {step.command[0]}: {exc}"
    return StepResult(step.name, code, time.perf_counter() - started, output)


def run_cycle(number: int, steps: Sequence[Step]) -> CycleResult:
    """Run the steps in order, stopping at the first failure; log each one."""
    LOG.info("cycle %d: start (%s)", number, ", ".join(s.name for s in steps))
    started = time.perf_counter()
    cycle = CycleResult(number, ok=True, duration_s=0.0)
    for step in steps:
        result = run_step(step)
        cycle.steps.append(result)
        LOG.debug("cycle %d: %s output:\n%s", number, step.name, result.output.rstrip())
        if result.returncode not in step.ok_codes:
            cycle.ok, cycle.failed_step = False, step.name
            LOG.error(
                "cycle %d: step %s FAILED (exit %d) after %.1f s; last output:\n%s",
                number,
                step.name,
                result.returncode,
                result.duration_s,
                result.tail,
            )
            break
        LOG.info("cycle %d: step %s ok in %.1f s", number, step.name, result.duration_s)
        if step.show_output and result.output.strip():
            LOG.info("cycle %d: %s:\n%s", number, step.name, result.output.rstrip())
    cycle.duration_s = time.perf_counter() - started
    timings = ", ".join(f"{r.name} {r.duration_s:.1f} s" for r in cycle.steps)
    if cycle.ok:
        LOG.info("cycle %d: ok in %.1f s (%s)", number, cycle.duration_s, timings)
    else:
        LOG.error(
            "cycle %d: failed at %s in %.1f s (%s); retried at the next cycle",
            number,
            cycle.failed_step,
            cycle.duration_s,
            timings,
        )
    return cycle


def run_schedule(
    steps: Sequence[Step],
    interval_s: float,
    cycles: int | None,
    stop: threading.Event,
) -> list[CycleResult]:
    """Run cycles every `interval_s` seconds until `cycles` are done or `stop` is set."""
    results: list[CycleResult] = []
    number = 0
    while not stop.is_set() and (cycles is None or number < cycles):
        number += 1
        started = time.monotonic()
        results.append(run_cycle(number, steps))
        if cycles is not None and number >= cycles:
            break
        wait = interval_s - (time.monotonic() - started)
        if wait <= 0:
            LOG.warning("cycle %d overran the %.0f s interval: next cycle now", number, interval_s)
            continue
        LOG.info("next cycle in %.0f s", wait)
        stop.wait(wait)
    return results


def configure_logging(log_file: Path) -> None:
    """INFO and above to stdout; everything (steps' full output too) to the log file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    fmt.converter = time.gmtime
    console = logging.StreamHandler(sys.stdout)
    console.setLevel(logging.INFO)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setLevel(logging.DEBUG)
    for handler in (console, to_file):
        handler.setFormatter(fmt)
        LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG)
    LOG.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m footfall.pipeline",
        description="Run load, build, publish and alerts on a schedule.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--once", action="store_true", help="run one cycle and exit")
    group.add_argument("--cycles", type=int, metavar="N", help="run N cycles and exit")
    parser.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="seconds between cycle starts (default FOOTFALL_SCHEDULE_INTERVAL_S, 3600)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("load", "build", "publish", "alerts"),
        help="leave a step out (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.cycles is not None and args.cycles < 1:
        parser.error("--cycles must be 1 or more")
    if args.interval is not None and args.interval <= 0:
        parser.error("--interval must be a positive number of seconds")
    try:
        schedule = settings.schedule()
    except settings.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(schedule.log_file)
    steps = [s for s in default_steps(schedule) if s.name not in args.skip]
    interval = args.interval or schedule.interval_s
    cycles = 1 if args.once else args.cycles

    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        LOG.info("signal %d: stopping after the current cycle", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    LOG.info(
        "pipeline: %s every %.0f s%s; log %s",
        ", ".join(s.name for s in steps),
        interval,
        "" if cycles is None else f", {cycles} cycle(s)",
        schedule.log_file,
    )
    results = run_schedule(steps, interval, cycles, stop)
    n_failed = sum(not r.ok for r in results)
    LOG.info("pipeline: stopped after %d cycle(s), %d failed", len(results), n_failed)
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
