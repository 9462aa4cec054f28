"""The scheduler of `make run`: cycles, steps, failures retried at the next cycle, logging."""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import threading
import time

from footfall import pipeline
from tests.alerts.helpers import alert, write_alerts
from tests.conftest import REPO_ROOT


def py_step(name: str, code: str, ok_codes=frozenset({0})) -> pipeline.Step:
    return pipeline.Step(name, [sys.executable, "-c", code], ok_codes)


def test_a_cycle_runs_the_steps_in_order_and_stops_at_a_failure(tmp_path, caplog):
    marker = tmp_path / "ran.txt"
    append = "import pathlib,sys; p=pathlib.Path(sys.argv[1]); p.write_text(p.read_text()+'{}')"

    def step(name, exit_code=0):
        code = f"{append.format(name)}; print('out of {name}'); raise SystemExit({exit_code})"
        return pipeline.Step(name, [sys.executable, "-c", code, str(marker)])

    marker.write_text("")
    caplog.set_level(logging.INFO, logger="footfall.pipeline")
    ok = pipeline.run_cycle(1, [step("a"), step("b")])
    assert ok.ok and [r.name for r in ok.steps] == ["a", "b"] and marker.read_text() == "ab"

    marker.write_text("")
    failed = pipeline.run_cycle(2, [step("a"), step("b", 3), step("c")])
    assert not failed.ok and failed.failed_step == "b" and marker.read_text() == "ab"
    assert failed.steps[-1].returncode == 3
    text = caplog.text
    assert "cycle 2: step b FAILED (exit 3)" in text and "out of b" in text
    assert "cycle 2: failed at b" in text and "retried at the next cycle" in text


def test_alerts_exit_1_is_a_finding_not_a_failure():
    cycle = pipeline.run_cycle(1, [py_step("alerts", "raise SystemExit(1)", frozenset({0, 1}))])
    assert cycle.ok


def test_a_failed_cycle_is_retried_at_the_next_one(tmp_path):
    """The step fails on the first cycle only (a flag file); the second cycle succeeds."""
    flag = tmp_path / "failed-once"
    code = (
        f"import pathlib; f=pathlib.Path({str(flag)!r})\n"
        "if not f.exists():\n    f.touch(); raise SystemExit(2)"
    )
    results = pipeline.run_schedule([py_step("load", code)], 0.05, 3, threading.Event())
    assert [r.ok for r in results] == [False, True, True]


def test_cycles_start_every_interval(tmp_path):
    stamps = tmp_path / "stamps"
    code = f"import time; open({str(stamps)!r}, 'a').write(f'{{time.monotonic()}}\\n')"
    started = time.monotonic()
    pipeline.run_schedule([py_step("tick", code)], 1.0, 3, threading.Event())
    elapsed = time.monotonic() - started
    ticks = [float(x) for x in stamps.read_text().split()]
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) == 3 and all(0.95 < g < 3.0 for g in gaps), gaps
    assert elapsed < 2.0 + 3.0  # two waits, none after the last cycle


def test_stop_ends_the_schedule_between_cycles():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    results = pipeline.run_schedule([py_step("noop", "pass")], 60.0, None, stop)
    assert len(results) == 1 and time.monotonic() - started < 5


def test_the_command_logs_each_cycle_to_stdout_and_file(tmp_path):
    """`python -m footfall.pipeline --cycles 2` with only the alerts step, on a test mart."""
    serving = write_alerts(tmp_path / "serving.duckdb", [alert(severity="critical")])
    log_file = tmp_path / "logs" / "pipeline.log"
    env = {
        **os.environ,
        "FOOTFALL_SERVING": str(serving),
        "FOOTFALL_ALERT_STATE": str(tmp_path / "state.json"),
        "FOOTFALL_PIPELINE_LOG": str(log_file),
        "FOOTFALL_SCHEDULE_INTERVAL_S": "0.2",
    }
    command = [sys.executable, "-m", "footfall.pipeline", "--cycles", "2"]
    command += ["--skip", "load", "--skip", "build", "--skip", "publish"]
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for text in (proc.stdout, log_file.read_text()):
        assert "cycle 1: start (alerts)" in text and "cycle 2: start (alerts)" in text
        assert "cycle 2: step alerts ok in" in text and "cycle 2: ok in" in text
        assert "1 open alert(s), 1 critical" in text
        assert "stopped after 2 cycle(s), 0 failed" in text


def test_the_command_exits_1_when_a_cycle_failed(tmp_path):
    env = {
        **os.environ,
        "FOOTFALL_SERVING": str(tmp_path / "absent.duckdb"),
        "FOOTFALL_PIPELINE_LOG": str(tmp_path / "pipeline.log"),
    }
    command = [sys.executable, "-m", "footfall.pipeline", "--once"]
    command += ["--skip", "load", "--skip", "build", "--skip", "publish"]
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert "step alerts FAILED (exit 2)" in proc.stdout
    assert "absent.duckdb does not exist" in (tmp_path / "pipeline.log").read_text()
