"""Fault-proof: a faulty API (5xx, 429 + Retry-After, latency, broken bodies, bad rows) gives
exactly the readings of a fault-free load; a request that keeps failing fails the run cleanly."""

from __future__ import annotations

import json
import re
import time

import pytest

from loaders import pages
from tests.conftest import run_simulator
from tests.loaders.conftest import (
    SIM_NOW,
    STORES,
    Loader,
    assert_consistent,
    assert_same_readings,
    query,
    readings,
    set_faults,
)

#: The faults of the issue: 20 % 5xx, 429s with Retry-After, latency, 1 % broken bodies; plus
#: duplicated and bad rows. The second set breaks many more bodies so that both kinds surely
#: occur in a load of this size.
ISSUE_FAULTS = {
    "FOOTFALL_SIM_FAULT_5XX": "0.2",
    "FOOTFALL_SIM_FAULT_429": "0.05",
    "FOOTFALL_SIM_FAULT_RETRY_AFTER_S": "1",
    "FOOTFALL_SIM_FAULT_LATENCY_MS": "5",
    "FOOTFALL_SIM_FAULT_TRUNCATED": "0.005",
    "FOOTFALL_SIM_FAULT_MALFORMED": "0.005",
    "FOOTFALL_SIM_FAULT_DUPLICATES": "0.2",
    "FOOTFALL_SIM_FAULT_BAD_ROWS": "0.2",
}
BROKEN_BODIES = {
    **ISSUE_FAULTS,
    "FOOTFALL_SIM_FAULT_429": "0.02",
    "FOOTFALL_SIM_FAULT_TRUNCATED": "0.1",
    "FOOTFALL_SIM_FAULT_MALFORMED": "0.1",
}
RETRY = re.compile(r"^retry (.*): try (\d+) failed \((.*)\); again in ([\d.]+) s$", re.M)


@pytest.mark.parametrize("faults", [ISSUE_FAULTS, BROKEN_BODIES], ids=["issue", "broken-bodies"])
def test_a_faulty_api_gives_exactly_the_fault_free_readings(tmp_path, reference, faults):
    warehouse = tmp_path / "w.duckdb"
    with run_simulator({"FOOTFALL_SIM_NOW": SIM_NOW, **faults}) as url:
        out = Loader(url).ok(
            warehouse, "--stores", STORES, "-v", env={"FOOTFALL_LOADER_PAGE_SIZE": "2000"}
        )
    assert_same_readings(readings(warehouse), reference)

    retries = RETRY.findall(out)
    errors = [error for _, _, error, _ in retries]
    assert any("answered 503" in e for e in errors)
    waits_429 = [float(wait) for _, _, error, wait in retries if "answered 429" in error]
    assert min(waits_429, default=1.0) >= 1.0  # Retry-After honoured (and tested alone below)
    if faults is BROKEN_BODIES:
        assert any("not valid JSON" in e for e in errors)

    # the duplicated and bad rows went to the rejects, with their reason and payload
    rejects = query(warehouse, "select store_id, reason, payload from raw.sensor_readings_rejects")
    reasons = {reason for _, reason, _ in rejects}
    assert {
        pages.REASON_DUPLICATE,
        pages.REASON_UNKNOWN_SENSOR,
        pages.REASON_VISITS_TYPE,
        pages.REASON_OUTSIDE,
    } <= reasons
    assert all(json.loads(payload).keys() == {"reading_start_utc", "sensor_id", "visits"}
               for _, _, payload in rejects)  # fmt: skip
    [(status, n_rejects)] = query(warehouse, "select status, n_rejects from raw.load_runs")
    assert status == "success" and n_rejects == len(rejects)


def test_retry_after_is_waited_for_then_the_tries_run_out(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    faults = {"FOOTFALL_SIM_FAULT_429": "1", "FOOTFALL_SIM_FAULT_RETRY_AFTER_S": "1"}
    with run_simulator({"FOOTFALL_SIM_NOW": SIM_NOW, **faults}) as url:
        started = time.monotonic()
        result = Loader(url).run(
            warehouse, "--stores", "madrid", "-v", env={"FOOTFALL_LOADER_MAX_ATTEMPTS": "3"}
        )
        elapsed = time.monotonic() - started
    assert result.returncode == 4, result.stderr
    waits = [float(wait) for _, _, _, wait in RETRY.findall(result.stderr)]
    assert len(waits) == 2 and min(waits) >= 1.0  # the server's Retry-After, not 0.01 s
    assert elapsed >= 2.0
    assert "failed 3 times in a row" in result.stderr and "answered 429" in result.stderr
    [(status, error)] = query(warehouse, "select status, error from raw.load_runs")
    assert status == "failed" and "answered 429" in error


def test_a_request_that_keeps_failing_fails_the_run_cleanly(tmp_path, reference):
    warehouse = tmp_path / "w.duckdb"
    with run_simulator({"FOOTFALL_SIM_NOW": SIM_NOW, "FOOTFALL_SIM_FAULT_LATENCY_MS": "20"}) as url:
        loader = Loader(url)
        proc = loader.popen(
            warehouse,
            "--stores",
            STORES,
            "-v",
            env={"FOOTFALL_LOADER_PAGE_SIZE": "2000", "FOOTFALL_LOADER_MAX_ATTEMPTS": "3"},
        )
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if sum(x.startswith("page ") for x in lines) == 3:
                set_faults(url, share_5xx=1.0)  # from now on every request fails
                break
        rest = proc.stdout.read()
        assert proc.wait(timeout=60) == 4, "".join(lines) + rest
        assert "failed 3 times in a row" in rest and "answered 503" in rest
        assert "recorded in raw.load_runs" in rest

        [(status, error, ended)] = query(
            warehouse, "select status, error, ended_at from raw.load_runs"
        )
        assert status == "failed" and "failed 3 times in a row" in error and ended is not None
        n_kept = assert_consistent(warehouse, reference)
        assert 0 < n_kept < len(reference["visits"])

        set_faults(url)  # the API recovers: the next run completes the gap
        loader.ok(warehouse, "--stores", STORES)
    assert_same_readings(readings(warehouse), reference)
    statuses = query(warehouse, "select status from raw.load_runs order by started_at")
    assert statuses == [("failed",), ("success",)]
