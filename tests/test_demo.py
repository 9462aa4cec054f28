"""`make demo`'s orchestrator end to end: simulator, load, build, publish, docs, dashboard.

Runs `python -m footfall.demo` as a user would (one store to keep it short), waits for the
dashboard to answer, then stops the demo with Ctrl-C and checks it cleaned up after itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

from tests.conftest import REPO_ROOT, free_port


def _wait_for(url: str, proc: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"demo exited early with {proc.returncode}:\n{out}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


def test_demo_runs_the_whole_pipeline_and_serves_the_dashboard(tmp_path: Path) -> None:
    sim_port, dashboard_port = free_port(), free_port()
    env = {
        **os.environ,
        "FOOTFALL_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "FOOTFALL_SERVING": str(tmp_path / "serving.duckdb"),
        "FOOTFALL_API_URL": f"http://127.0.0.1:{sim_port}",
        "FOOTFALL_SIM_NOW": "2024-03-15T00:00:00Z",
        "FOOTFALL_DASHBOARD_PORT": str(dashboard_port),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "footfall.demo", "--load-args", "--stores madrid"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{dashboard_port}/_stcore/health", proc, timeout_s=300)
        # The simulator the demo started is up, and the marts reached the serving snapshot.
        assert httpx.get(f"http://127.0.0.1:{sim_port}/health").status_code == 200
        with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as con:
            (n_days,) = con.execute("select count(*) from fct_store_traffic_daily").fetchone()
        # Madrid opened 2024-01-01; now is 2024-03-15: 74 complete local days, 75 started.
        assert 74 <= n_days <= 75
        assert (tmp_path / "target" / "catalog.json").exists(), "dbt docs were not generated"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert "footfall is up" in out, out
    # Ctrl-C stopped the simulator the demo had started.
    time.sleep(1)
    try:
        httpx.get(f"http://127.0.0.1:{sim_port}/health", timeout=1.0)
        still_up = True
    except httpx.HTTPError:
        still_up = False
    assert not still_up, "the demo left its simulator running"
