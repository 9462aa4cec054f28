"""Crash-safe: a load killed with SIGKILL at any point loses nothing and duplicates nothing."""

from __future__ import annotations

import random
import signal
import time

import pytest

from tests.loaders.conftest import (
    STORES,
    Loader,
    assert_consistent,
    assert_same_readings,
    query,
    readings,
)

#: Kill after this many pages were written (plus a random few milliseconds, so the kill lands
#: anywhere: fetching, checking, inside a page's transaction, between pages).
KILL_AFTER_PAGES = [0, 1, 4, 9, 16]
#: Small pages: about 60 of them, so that every kill lands before the end of the load.
SMALL_PAGES = {"FOOTFALL_LOADER_PAGE_SIZE": "2000"}


def kill_after(loader: Loader, warehouse, n_pages: int, rng: random.Random) -> bool:
    """Start a load, SIGKILL it after n_pages written pages; True if it was still running."""
    proc = loader.popen(warehouse, "--stores", STORES, "-v", env=SMALL_PAGES)
    seen = 0
    if n_pages == 0:
        time.sleep(rng.uniform(0.2, 0.6))  # during start-up: imports, opening, metadata
    else:
        for line in proc.stdout:
            seen += line.startswith("page ")
            if seen >= n_pages:
                break
        time.sleep(rng.uniform(0, 0.03))
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    return alive


@pytest.mark.parametrize("n_pages", KILL_AFTER_PAGES)
def test_a_killed_load_is_completed_by_the_next_run(loader: Loader, tmp_path, reference, n_pages):
    warehouse = tmp_path / "w.duckdb"
    rng = random.Random(n_pages)
    assert kill_after(loader, warehouse, n_pages, rng), "the load ended before the kill"
    if warehouse.exists():
        # whatever the kill interrupted, what is there is whole pages, as the progress says
        assert_consistent(warehouse, reference)
    out = loader.ok(warehouse, "--stores", STORES)
    assert_same_readings(readings(warehouse), reference)
    statuses = query(warehouse, "select status from raw.load_runs order by started_at")
    if len(statuses) == 2:  # the killed run had recorded its start
        assert statuses == [("aborted",), ("success",)]
        assert "interrupted run(s) as aborted" in out
    else:
        assert statuses == [("success",)]


def test_killed_again_and_again_then_completed(loader: Loader, tmp_path, reference):
    warehouse = tmp_path / "w.duckdb"
    rng = random.Random(7)
    for n_pages in (2, 3, 5):
        assert kill_after(loader, warehouse, n_pages, rng)
        assert_consistent(warehouse, reference)
    loader.ok(warehouse, "--stores", STORES)
    assert_same_readings(readings(warehouse), reference)
    statuses = [s for (s,) in query(warehouse, "select status from raw.load_runs order by 1")]
    assert statuses.count("aborted") == 3 and statuses.count("success") == 1
    # the next runs only read the overlap: nothing is loaded twice
    loader.ok(warehouse, "--stores", STORES)
    [(n_new,)] = query(
        warehouse, "select n_new_rows from raw.load_runs order by started_at desc limit 1"
    )
    assert n_new == 0
    assert_same_readings(readings(warehouse), reference)


def test_ctrl_c_stops_cleanly_and_is_recorded(loader: Loader, tmp_path, reference):
    warehouse = tmp_path / "w.duckdb"
    proc = loader.popen(warehouse, "--stores", STORES, "-v", env=SMALL_PAGES)
    for n, _line in enumerate(x for x in proc.stdout if x.startswith("page ")):
        if n == 3:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    assert proc.wait(timeout=30) == 130
    assert "interrupted; what was written is kept, run again to finish" in rest
    assert "Traceback" not in rest
    [(status, error)] = query(warehouse, "select status, error from raw.load_runs")
    assert (status, error) == ("failed", "interrupted (Ctrl-C)")
    assert_consistent(warehouse, reference)
    loader.ok(warehouse, "--stores", STORES)
    assert_same_readings(readings(warehouse), reference)
