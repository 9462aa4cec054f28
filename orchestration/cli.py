"""`python -m orchestration`: footfall on Dagster (docs/orchestration.md).

Without options (`make run`): `dagster dev` on FOOTFALL_DAGSTER_HOST:FOOTFALL_DAGSTER_PORT
(127.0.0.1:3000) with DAGSTER_HOME at FOOTFALL_DAGSTER_HOME (data/dagster): the UI, the
daemon that runs the schedule and the failure sensor, one run at a time. Ctrl-C stops it and
every process it started.

`--once` (`make run-once`): one run of the whole graph in this process, recorded in the same
instance (the UI shows it, with its logs), its log on stdout; exit 0 when it succeeded, 1 when
it failed, 2 on a bad setting, 3 when a run of the pipeline is already in progress.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from footfall import services, settings
from orchestration import instance as footfall_instance

EXIT_OK, EXIT_FAILED, EXIT_SETTING, EXIT_BUSY = 0, 1, 2, 3
STOP_TIMEOUT_S = 30.0
START_TIMEOUT_S = 180.0


def dagster_executable() -> str:
    beside = Path(sys.executable).with_name("dagster")
    return str(beside) if beside.exists() else "dagster"


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc (Linux; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while pid runs (a zombie, exited but not reaped, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _end_leftovers(pids: set[int], wait_s: float = 3.0) -> None:
    """Give the processes `dagster dev` started time to end, then terminate those left (a code
    server ends on its own only when its heartbeat times out, 45 s later)."""
    deadline = time.monotonic() + wait_s
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [pid for pid in pids if alive(pid)]
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        end = time.monotonic() + 5.0
        while any(alive(pid) for pid in left) and time.monotonic() < end:
            time.sleep(0.2)


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop(proc: subprocess.Popen[bytes], started: set[int]) -> int:
    """Stop `dagster dev` as Ctrl-C does (it stops its webserver, daemon and code servers);
    terminate, then kill, if it does not end in time; then end whatever it left running of
    `started`, the processes seen below it."""
    started = started | descendants(proc.pid)
    for send, wait_s in (
        (lambda: proc.send_signal(signal.SIGINT), STOP_TIMEOUT_S),
        (proc.terminate, 10.0),
        (proc.kill, 10.0),
    ):
        if proc.poll() is not None:
            break
        send()
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
    code = proc.wait()
    _end_leftovers(started)
    return code


def _end_orphans(schedule: settings.ScheduleSettings, why: str) -> None:
    """Runs a stopped `dagster dev` cannot finish any more: canceled, and said so."""
    import dagster as dg

    from orchestration.schedules import end_orphaned_runs

    with dg.DagsterInstance.from_config(
        str(footfall_instance.prepare_home(schedule.dagster_home))
    ) as inst:
        for run_id in end_orphaned_runs(inst, why):
            print(f"* run {run_id} did not finish ({why}): marked canceled", flush=True)


def serve(schedule: settings.ScheduleSettings) -> int:
    """`dagster dev` in the foreground until it exits or Ctrl-C (or SIGTERM) stops it."""
    env = footfall_instance.environment(schedule)
    url = schedule.ui_url
    if services.answers(f"{url}/server_info"):
        print(f"footfall on Dagster: something already answers at {url}; stop it or set "
              "FOOTFALL_DAGSTER_PORT", file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    _end_orphans(schedule, "a `make run` before this one ended without stopping its runs")
    command = [
        dagster_executable(), "dev", "-m", "orchestration.definitions",
        "-h", schedule.dagster_host, "-p", str(schedule.dagster_port),
    ]  # fmt: skip
    print(f"* starting Dagster: {' '.join(command)} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    proc = subprocess.Popen(command, cwd=settings.REPO_ROOT, env=env)
    # The processes below dagster dev, looked up every second while it runs: a terminal's
    # Ctrl-C reaches them all at once, and some outlive it.
    started: set[int] = set()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not services.answers(f"{url}/server_info"):
            if proc.poll() is not None:
                print(f"footfall on Dagster: dagster dev exited with {proc.returncode}",
                      file=sys.stderr)  # fmt: skip
                return EXIT_FAILED
            if time.monotonic() > deadline:
                print(f"footfall on Dagster: no UI at {url} after {START_TIMEOUT_S:.0f} s",
                      file=sys.stderr)  # fmt: skip
                _stop(proc, started)
                return EXIT_FAILED
            started |= descendants(proc.pid)
            time.sleep(0.5)
        state = "on" if schedule.enabled else "off (FOOTFALL_SCHEDULE_ENABLED=0)"
        print(
            f"\nfootfall on Dagster is up: the UI at {url}\n"
            f"  schedule footfall_hourly: '{schedule.cron}' UTC, {state}\n"
            f"  the asset graph: {url}/asset-groups, runs and their logs: {url}/runs\n"
            "Ctrl-C stops it.\n",
            flush=True,
        )
        while proc.poll() is None:
            started = {pid for pid in started if alive(pid)} | descendants(proc.pid)
            time.sleep(1.0)
        _end_leftovers(started)
        return proc.returncode
    except KeyboardInterrupt:
        print("\n* stopping Dagster (webserver, daemon, code server)", flush=True)
        code = _stop(proc, started)
        _end_orphans(schedule, "make run was stopped")
        print(f"* Dagster stopped (exit {code})", flush=True)
        return EXIT_OK
    finally:
        if proc.poll() is None:
            _stop(proc, started)


def run_once(schedule: settings.ScheduleSettings) -> int:
    """One run of the whole graph in this process, on the instance `make run` uses."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.schedules import JOB_NAME, ONCE_PID_TAG, runs_in_progress

    os.environ.update(footfall_instance.environment(schedule))
    started = time.perf_counter()
    with dg.DagsterInstance.get() as inst:
        busy = runs_in_progress(inst)
        if busy:
            print(
                f"footfall on Dagster: run {busy[0].run_id} of {JOB_NAME} is "
                f"{busy[0].status.value.lower()} (see {schedule.ui_url}/runs): DuckDB has one "
                "writer, so wait for it. If nothing runs it any more (a killed `make run`), "
                "terminate it in the UI's Runs page.",
                file=sys.stderr,
            )
            return EXIT_BUSY
        job = build_definitions().resolve_job_def(JOB_NAME)
        result = job.execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            instance=inst,
            raise_on_error=False,
            tags={ONCE_PID_TAG: str(os.getpid())},
        )
        print(f"\nrun {result.run_id} of {JOB_NAME}:")
        for event in result.all_events:
            if event.event_type in (
                dg.DagsterEventType.STEP_SUCCESS,
                dg.DagsterEventType.STEP_FAILURE,
            ):
                outcome = "ok" if event.is_step_success else "FAILED"
                duration = getattr(event.event_specific_data, "duration_ms", None)
                took = f" in {duration / 1000:.1f} s" if duration is not None else ""
                print(f"  step {event.step_key} {outcome}{took}")
        status = "success" if result.success else "FAILED"
        print(
            f"run {result.run_id}: {status} in {time.perf_counter() - started:.1f} s; its logs "
            f"in the UI (make run): {schedule.ui_url}/runs/{result.run_id}",
            flush=True,
        )
        return EXIT_OK if result.success else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration",
        description="footfall on Dagster: serve the UI, schedule and sensor (default), or run "
        "the whole graph once.",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="run load, dbt build, publish and alerts once in this process and exit",
    )
    args = parser.parse_args(argv)
    try:
        schedule = settings.schedule()
    except settings.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_SETTING
    return run_once(schedule) if args.once else serve(schedule)
