"""Clear errors: no API at the URL, a warehouse locked by another process."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.conftest import free_port
from tests.loaders.conftest import Loader, query

HOLD_LOCK = """# footfall-lock-holder
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(warehouse, seconds: float) -> subprocess.Popen:
    """Another process that opens the warehouse read-write and keeps it `seconds`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_no_api_gives_one_line_naming_the_url_and_how_to_start_it(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    warehouse = tmp_path / "w.duckdb"
    result = Loader(url).run(warehouse)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert url in lines[0] and "make simulator" in lines[0] and "FOOTFALL_API_URL" in lines[0]
    assert result.stdout == ""
    [(status, error)] = query(warehouse, "select status, error from raw.load_runs")
    assert status == "failed" and url in error


def test_a_locked_warehouse_is_waited_for_then_named(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = hold_lock(warehouse, 60)
    try:
        started = time.monotonic()
        result = loader.run(
            warehouse, "--stores", "madrid", env={"FOOTFALL_LOADER_LOCK_WAIT_S": "1"}
        )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 5, result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert str(warehouse) in message
    assert f"PID {holder.pid}" in message and "footfall-lock-holder" in message  # who holds it
    assert (
        f"kill {holder.pid}" in message and "FOOTFALL_LOADER_LOCK_WAIT_S" in message
    )  # what to do
    assert "waited 1 s" in message
    assert 1.0 <= elapsed < 30


def test_a_lock_released_within_the_wait_is_no_error(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    holder = hold_lock(warehouse, 1.5)
    try:
        started = time.monotonic()
        loader.ok(warehouse, "--stores", "madrid", env={"FOOTFALL_LOADER_LOCK_WAIT_S": "30"})
        elapsed = time.monotonic() - started
    finally:
        holder.wait()
    assert elapsed >= 1.0  # it did wait
    assert query(warehouse, "select status from raw.load_runs") == [("success",)]


def test_a_warehouse_that_is_not_a_duckdb_file_is_named(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_text("these are not the droids you are looking for\n" * 200)
    result = loader.run(warehouse, "--stores", "madrid")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot open the warehouse {warehouse}" in result.stderr
    assert "FOOTFALL_WAREHOUSE" in result.stderr
