"""The publish step: the real small warehouse into a serving snapshot, swapped in atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from dashboards import snapshot
from footfall.publish import CORE_MARTS, PublishError, publish
from tests.conftest import REPO_ROOT

HOLD_LOCK = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('holding', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
)


def _counts(path: Path, tables: list[str]) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"select count(*) from main.{t}").fetchone()[0] for t in tables}


def _hold_lock(warehouse: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that opens the warehouse for writing, as a load or a dbt build does."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_snapshot_holds_every_mart_the_tests_and_the_freshness_facts(
    small_warehouse, published: Path
) -> None:
    marts = small_warehouse.marts()
    assert set(CORE_MARTS) <= set(marts)
    assert _counts(published, marts) == _counts(small_warehouse.warehouse, marts)
    with duckdb.connect(str(published), read_only=True) as con:
        tests = con.execute("select unique_id, status, failures from serving_dbt_tests").fetchall()
        info = con.execute("select * from serving_info").df().iloc[0]
        extent = con.execute("select * from serving_store_extent order by store_id").df()
    with small_warehouse.connect() as wh:
        (last_load_id, last_load_end) = wh.execute(
            "select load_id, ended_at from raw.load_runs where status = 'success' "
            "order by ended_at desc limit 1"
        ).fetchone()
        last_hours = dict(
            wh.execute(
                "select store_id, max(hour_start_utc) from fct_store_traffic_hourly group by 1"
            ).fetchall()
        )
    # Every data and unit test of the build, with dbt's own status and failure count.
    results = small_warehouse.build.run_results
    expected = {
        r["unique_id"]: (r["status"], r.get("failures"))
        for r in results["results"]
        if r["unique_id"].startswith(("test.", "unit_test."))
    }
    assert expected, "the small warehouse's build ran no tests"
    assert {u: (s, f) for u, s, f in tests} == expected
    # Freshness: the build's time and the last successful load, as the warehouse says.
    assert info["build_command"] == "dbt build"
    assert (
        info["build_generated_at_utc"].isoformat()[:19] == results["metadata"]["generated_at"][:19]
    )
    assert info["last_load_id"] == last_load_id
    assert info["last_load_ended_at_utc"] == last_load_end
    assert dict(zip(extent.store_id, extent.last_hour_start_utc, strict=True)) == last_hours


def test_publish_swaps_the_file_atomically_under_readers(small_warehouse, tmp_path: Path) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving" / "serving.duckdb"
    publish(chain.warehouse, serving, chain.target_path)
    full = _counts(serving, ["fct_store_traffic_daily"])["fct_store_traffic_daily"]
    with chain.connect(read_only=False) as con:
        con.execute("delete from fct_store_traffic_daily where store_id = 'london'")
    (smaller,) = _counts(chain.warehouse, ["fct_store_traffic_daily"]).values()
    assert 0 < smaller < full

    # Readers open the snapshot the way the dashboard does, again and again, while it is
    # republished: each read sees one whole snapshot, old or new, never an error.
    seen: set[int] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                df = snapshot.read(serving, "select count(*) as n from fct_store_traffic_daily")
                seen.add(int(df.n[0]))
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    old_reader = duckdb.connect(str(serving), read_only=True)
    try:
        # in full: the rows were deleted behind dbt's back, so no change log says so
        for _ in range(2):
            publish(chain.warehouse, serving, chain.target_path, full=True)
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert seen <= {full, smaller} and smaller in seen
    # A connection opened before the swap still reads the old file, whole.
    assert old_reader.execute("select count(*) from fct_store_traffic_daily").fetchone()[0] == full
    old_reader.close()
    assert _counts(serving, ["fct_store_traffic_daily"])["fct_store_traffic_daily"] == smaller
    # Nothing is left behind: no temporary file, no reader link.
    assert sorted(p.name for p in serving.parent.iterdir()) == [
        ".serving.duckdb.readers",
        "serving.duckdb",
    ]
    assert list(snapshot.readers_dir(serving).iterdir()) == []


def test_publish_waits_a_bounded_time_for_a_locked_warehouse_and_names_the_holder(
    small_warehouse, tmp_path: Path
) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving.duckdb"
    holder = _hold_lock(chain.warehouse, 60)
    try:
        started = time.monotonic()
        with pytest.raises(PublishError) as err:
            publish(chain.warehouse, serving, chain.target_path, wait_s=1.0)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    message = str(err.value)
    assert 1.0 <= waited < 10
    assert f"locked by process {holder.pid}" in message
    assert "python" in message and "-c" in message  # the holder's command line
    assert "make publish" in message and "FOOTFALL_PUBLISH_WAIT_S" in message
    assert not serving.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_publish_goes_ahead_once_the_writer_is_done(small_warehouse, tmp_path: Path) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving.duckdb"
    holder = _hold_lock(chain.warehouse, 1.5)
    try:
        started = time.monotonic()
        summary = publish(chain.warehouse, serving, chain.target_path, wait_s=30)
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert waited >= 1.0
    assert summary.tables["fct_store_traffic_daily"] > 0
    assert snapshot.problem(serving) is None


def test_publish_refuses_a_missing_warehouse_or_one_without_marts(tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    with pytest.raises(PublishError, match=r"no warehouse at .*make load.*make build.*make demo"):
        publish(tmp_path / "absent.duckdb", serving, tmp_path / "target")
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("create schema raw; create table raw.sensor_readings (visits integer)")
    with pytest.raises(PublishError, match=r"has no marts yet .*dim_stores.*make build"):
        publish(empty, serving, tmp_path / "target")
    assert not serving.exists()
    assert list(tmp_path.glob(".*.tmp")) == []


def test_publish_refuses_a_build_whose_models_failed_and_keeps_the_snapshot(
    small_warehouse, published: Path, tmp_path: Path
) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving.duckdb"
    publish(chain.warehouse, serving, chain.target_path)
    before = serving.stat()
    # The same results file, as dbt writes it when a model fails and its children are skipped.
    results = json.loads((chain.target_path / "run_results.json").read_text())
    models = [r for r in results["results"] if r["unique_id"].startswith("model.")]
    models[0]["status"], models[0]["message"] = "error", "Binder Error: no such column"
    models[1]["status"] = "skipped"
    (chain.target_path / "run_results.json").write_text(json.dumps(results))
    with pytest.raises(PublishError) as err:
        publish(chain.warehouse, serving, chain.target_path)
    assert models[0]["unique_id"] in str(err.value) and "(error)" in str(err.value)
    assert "left as it was" in str(err.value)
    assert serving.stat().st_ino == before.st_ino


def test_a_later_non_build_dbt_command_keeps_the_last_builds_test_results(
    small_warehouse, tmp_path: Path
) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving.duckdb"
    publish(chain.warehouse, serving, chain.target_path)
    # `dbt docs generate` (make demo runs it after the build) rewrites run_results.json with
    # the nodes it compiled and no test: the snapshot keeps the last build's test results.
    results_file = chain.target_path / "run_results.json"
    results = json.loads(results_file.read_text())
    results["args"]["which"] = "generate"
    results["results"] = [
        {**r, "status": "success", "failures": None}
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    ]
    results_file.write_text(json.dumps(results))
    summary = publish(chain.warehouse, serving, chain.target_path)
    with duckdb.connect(str(serving), read_only=True) as con:
        n_tests = con.execute("select count(*) from serving_dbt_tests").fetchone()[0]
        (command,) = con.execute("select build_command from serving_info").fetchone()
    n_build_tests = sum(
        r["unique_id"].startswith(("test.", "unit_test."))
        for r in small_warehouse.build.run_results["results"]
    )
    assert n_tests == summary.n_tests == n_build_tests
    assert command == "dbt build"


def test_the_command_publishes_and_explains_failures(small_warehouse, tmp_path: Path) -> None:
    serving = tmp_path / "out" / "serving.duckdb"
    env = {
        **os.environ,
        "FOOTFALL_WAREHOUSE": str(small_warehouse.warehouse),
        "FOOTFALL_SERVING": str(serving),
        "DBT_TARGET_PATH": str(small_warehouse.target_path),
    }
    ok = subprocess.run(
        [sys.executable, "-m", "footfall.publish"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert f"published {serving}" in ok.stdout and "dbt test results" in ok.stdout
    assert snapshot.problem(serving) is None
    env["FOOTFALL_WAREHOUSE"] = str(tmp_path / "nowhere.duckdb")
    failed = subprocess.run(
        [sys.executable, "-m", "footfall.publish"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "publish failed: there is no warehouse at" in failed.stderr
    assert "Traceback" not in failed.stderr


# --------------------------------------------------------------------------------------------
# Incremental publishing: only the store-days dbt recomputed since the last publish
# --------------------------------------------------------------------------------------------
def _mart_rows(path: Path) -> dict[str, list[tuple]]:
    """Every dim_/fct_ table of a snapshot, its rows sorted (as text, so NaN and None compare)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' "
                "and regexp_matches(table_name, '^(dim|fct)_')"
            ).fetchall()
        ]
        return {
            name: sorted(
                tuple(str(v) for v in row) for row in con.execute(f"from {name}").fetchall()
            )
            for name in names
        }


@pytest.fixture(scope="module")
def republished(small_warehouse, tmp_path_factory: pytest.TempPathFactory):
    """(summary of an incremental publish after six new hours, its snapshot, a full one)."""
    from datetime import timedelta

    root = tmp_path_factory.mktemp("incremental_publish")
    chain = small_warehouse.copy(root / "chain")
    serving = root / "serving" / "serving.duckdb"
    first = publish(chain.warehouse, serving, chain.target_path)
    chain = chain.load(chain.now + timedelta(hours=6)).dbt_build()
    summary = publish(chain.warehouse, serving, chain.target_path)
    full_path = root / "full" / "serving.duckdb"
    full = publish(chain.warehouse, full_path, chain.target_path, full=True)
    return first, summary, serving, full, full_path, chain


def test_an_incremental_publish_equals_a_full_one(republished) -> None:
    first, summary, serving, full, full_path, _ = republished
    assert first.mode == "full"
    assert summary.mode == "incremental" and full.mode == "full"
    incremental_rows, full_rows = _mart_rows(serving), _mart_rows(full_path)
    assert incremental_rows.keys() == full_rows.keys()
    different = [t for t in full_rows if incremental_rows[t] != full_rows[t]]
    assert not different, f"incremental and full snapshots differ in {different}"
    assert summary.tables == full.tables


def test_an_incremental_publish_writes_only_what_changed(republished) -> None:
    _, summary, _, full, _, _ = republished
    total = sum(full.tables.values())
    # six new hours and the lookback of a few days, of a 26-week history
    assert 0 < summary.rows_written < 0.1 * total, (summary.rows_written, total)
    assert summary.held_s < summary.duration_s


def test_a_snapshot_older_than_the_change_log_is_published_in_full(
    republished, tmp_path: Path
) -> None:
    _, _, serving, _, _, chain = republished
    stale = tmp_path / "serving.duckdb"
    stale.write_bytes(serving.read_bytes())
    with duckdb.connect(str(stale)) as con:
        con.execute(
            "update serving_info set changes_through_utc = changes_through_utc - interval 40 day"
        )
    again = publish(chain.warehouse, stale, chain.target_path)
    assert again.mode == "full"
    assert _mart_rows(stale) == _mart_rows(serving)
