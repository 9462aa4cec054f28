"""Fixtures of the loader tests: a real simulator with a fixed clock, the loader as a command.

The stores and the clock are chosen small: Madrid (1 sensor, opened 2024-01-01) and Berlin
(6 sensors, opened 2022-01-01), with the simulator's now fixed at 2024-03-01: about 115 000
readings of full history, loaded in under a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import numpy as np
import pytest

from tests.conftest import REPO_ROOT, run_simulator

SIM_NOW = "2024-03-01T00:00:00Z"
STORES = "madrid,berlin"
#: Small pages, so that a load has many of them (and a kill lands between them).
PAGE_SIZE = "6000"

FAULT_FREE = {
    "share_5xx": 0.0,
    "share_429": 0.0,
    "retry_after_s": 1,
    "latency_ms": 0.0,
    "share_truncated": 0.0,
    "share_malformed": 0.0,
    "share_duplicates": 0.0,
    "share_bad_rows": 0.0,
}


@dataclass(frozen=True)
class Loader:
    """The loader command against one API, for one warehouse per call."""

    api_url: str

    def env(self, warehouse: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "FOOTFALL_WAREHOUSE": str(warehouse),
            "FOOTFALL_API_URL": self.api_url,
            "FOOTFALL_LOADER_PAGE_SIZE": PAGE_SIZE,
            "FOOTFALL_LOADER_BACKOFF_S": "0.01",
            "FOOTFALL_LOADER_BACKOFF_MAX_S": "0.1",
        }
        env.update(extra or {})
        return env

    def run(
        self, warehouse: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "loaders", *args],
            cwd=REPO_ROOT,
            env=self.env(warehouse, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, warehouse: Path, *args: str, env: dict[str, str] | None = None) -> str:
        """Run the loader, fail the test unless it exits 0; its output."""
        result = self.run(warehouse, *args, env=env)
        assert result.returncode == 0, f"loader failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    def popen(self, warehouse: Path, *args: str, env: dict[str, str] | None = None):
        """The loader in the background, output on .stdout; Ctrl-C (SIGINT) reaches it even if
        the tests run where SIGINT is ignored (a background job)."""
        return subprocess.Popen(
            [sys.executable, "-m", "loaders", *args],
            cwd=REPO_ROOT,
            env=self.env(warehouse, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )


def set_faults(api_url: str, **faults: float) -> None:
    """Replace the simulator's fault settings (every other fault off)."""
    response = httpx.put(f"{api_url}/admin/faults", json={**FAULT_FREE, **faults}, timeout=10)
    response.raise_for_status()


def readings(warehouse: Path) -> dict[str, np.ndarray]:
    """raw.sensor_readings without the load columns, sorted by key, as arrays."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """
            select store_id, sensor_id, reading_start_utc, visits
            from raw.sensor_readings
            order by store_id, sensor_id, reading_start_utc
            """
        ).fetchnumpy()


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_same_readings(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    """Row for row: the same keys and the same visits."""
    assert len(got["visits"]) == len(expected["visits"]), (
        f"{len(got['visits'])} readings instead of {len(expected['visits'])}"
    )
    for column in ("store_id", "sensor_id", "reading_start_utc", "visits"):
        same = np.asarray(got[column]) == np.asarray(expected[column])
        assert same.all(), f"{column} differs at {np.flatnonzero(~same)[:5].tolist()}"


@pytest.fixture(scope="session")
def api_url() -> Iterator[str]:
    """A fault-free simulator (tests that inject faults start their own)."""
    with run_simulator({"FOOTFALL_SIM_NOW": SIM_NOW}) as url:
        yield url


@pytest.fixture(scope="session")
def loader(api_url: str) -> Loader:
    return Loader(api_url)


@pytest.fixture(scope="session")
def reference(loader: Loader, tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """The readings of one fault-free, uninterrupted full load of the test stores."""
    warehouse = tmp_path_factory.mktemp("reference") / "warehouse.duckdb"
    loader.ok(warehouse, "--stores", STORES)
    return readings(warehouse)


def has_raw_tables(warehouse: Path) -> bool:
    """False for a file the loader created but was killed before it made its tables."""
    sql = "select count(*) from information_schema.tables where table_schema = 'raw'"
    return query(warehouse, sql)[0][0] > 0


def done_intervals(warehouse: Path) -> dict[str, list[tuple[np.datetime64, np.datetime64]]]:
    """Per store, the [start, done_until) parts of its tasks that raw.load_progress says done."""
    rows = query(
        warehouse,
        "select store_id, window_start_utc, done_until_utc from raw.load_progress "
        "where done_until_utc > window_start_utc",
    )
    out: dict[str, list] = {}
    for store_id, start, done in rows:
        out.setdefault(store_id, []).append((np.datetime64(start, "s"), np.datetime64(done, "s")))
    return out


def restrict(
    rows: dict[str, np.ndarray], intervals: dict[str, list[tuple[np.datetime64, np.datetime64]]]
) -> dict[str, np.ndarray]:
    """The rows whose (store, hour) falls in one of the store's intervals."""
    keep = np.zeros(len(rows["visits"]), dtype=bool)
    times = rows["reading_start_utc"].astype("datetime64[s]")
    for store_id, spans in intervals.items():
        mine = rows["store_id"] == store_id
        for start, end in spans:
            keep |= mine & (times >= start) & (times < end)
    return {k: np.asarray(v)[keep] for k, v in rows.items()}


def assert_consistent(warehouse: Path, reference: dict[str, np.ndarray]) -> int:
    """The warehouse holds exactly the reference rows of the hours its progress says are done:
    nothing half-written, nothing missing. Returns how many rows that is."""
    if not has_raw_tables(warehouse):  # killed between creating the file and its tables
        return 0
    got = readings(warehouse)
    expected = restrict(reference, done_intervals(warehouse))
    assert_same_readings(got, expected)
    return len(got["visits"])
