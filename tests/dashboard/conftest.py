"""Fixtures of the dashboard tests: the small real warehouse published as a serving snapshot,
and the dashboard served by `python -m dashboards` on a free port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from footfall.publish import publish
from tests.conftest import REPO_ROOT, free_port

PAGES = {
    # AppTest page script -> browser path
    "views/overview.py": "",
    "views/stores.py": "stores",
    "views/sensors.py": "sensors",
    "views/trends.py": "trends",
    "views/quality.py": "quality",
}


@pytest.fixture(scope="session")
def published(small_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small real warehouse published by the real publish step (read it, never change it)."""
    serving = tmp_path_factory.mktemp("serving") / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path, wait_s=30)
    return serving


@contextlib.contextmanager
def run_dashboard(serving: Path, timeout_s: float = 60.0) -> Iterator[str]:
    """`python -m dashboards` on a free port over the given snapshot; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "FOOTFALL_SERVING": str(serving),
        "FOOTFALL_DASHBOARD_HOST": "127.0.0.1",
        "FOOTFALL_DASHBOARD_PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboards"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the dashboard exited with {proc.returncode}:\n{proc.stdout.read()}"
                )
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not answer within {timeout_s} s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
