"""Loading from a real simulator: what lands in raw, incremental runs, idempotence, run log."""

from __future__ import annotations

from datetime import datetime

import httpx
import numpy as np
import pytest

from simulator.model import generate
from tests.conftest import run_simulator
from tests.loaders.conftest import (
    SIM_NOW,
    STORES,
    Loader,
    assert_same_readings,
    query,
    readings,
)


def test_first_run_loads_each_stores_full_history_as_the_api_says(reference):
    for store_id in STORES.split(","):
        expected = generate(store_id, "2000-01-01T00:00:00Z", SIM_NOW)
        mine = reference["store_id"] == store_id
        got = {k: v[mine] for k, v in reference.items()}
        order = np.lexsort((expected["reading_start_utc"], expected["sensor_id"]))
        assert len(got["visits"]) == len(expected["visits"]) > 0
        assert (got["sensor_id"] == expected["sensor_id"][order]).all()
        assert (got["reading_start_utc"] == expected["reading_start_utc"][order]).all()
        assert (got["visits"] == expected["visits"][order]).all()
    # Madrid opened 2024-01-01 (local midnight: 2023-12-31T23:00Z), one sensor, 60 days
    madrid = reference["store_id"] == "madrid"
    assert reference["reading_start_utc"][madrid].min() == np.datetime64("2023-12-31T23:00")
    assert (reference["visits"] == -1).any()  # the failure sentinel is kept


def test_every_row_says_which_load_wrote_it_and_when(loader: Loader, tmp_path):
    warehouse = tmp_path / "sub" / "dir" / "w.duckdb"  # the directory is created
    result = loader.run(warehouse, "--stores", "madrid")
    assert result.returncode == 0 and result.stderr == ""  # not a terminal: no progress bar
    out = result.stdout
    for table in ("raw.stores", "raw.sensors", "raw.sensor_readings"):
        [(n, n_missing, n_loads)] = query(
            warehouse,
            f"select count(*), count(*) filter (where _load_id is null or _loaded_at is null), "
            f"count(distinct _load_id) from {table}",
        )
        assert n > 0 and n_missing == 0 and n_loads == 1, table
    [(load_id, status, n_rows, n_new, start, end, stores)] = query(
        warehouse,
        "select load_id, status, n_rows, n_new_rows, window_start_utc, window_end_utc, stores "
        "from raw.load_runs",
    )
    n_madrid = generate("madrid", "2023-12-01", SIM_NOW)["visits"].size  # outages are absent
    assert status == "success" and n_rows == n_new == n_madrid and stores == "madrid"
    assert (start, end) == (datetime(2023, 12, 31, 23), datetime(2024, 3, 1))
    assert query(warehouse, "select distinct _load_id from raw.sensor_readings") == [(load_id,)]
    assert query(warehouse, "select count(*) from raw.stores") == [(5,)]  # every store's metadata
    # the summary: rows per store, new rows, rejects, duration
    assert f"load {load_id}: success in" in out
    assert "madrid" in out and f"{n_madrid:,}" in out and "rejects" in out


def test_loading_the_same_window_twice_changes_nothing(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    window = ["--stores", STORES, "--start", "2024-02-01", "--end", "2024-02-15T06:00:00Z"]
    loader.ok(warehouse, *window)
    sql = "select * from raw.sensor_readings order by all"
    first = query(warehouse, sql)
    loader.ok(warehouse, *window)
    assert query(warehouse, sql) == first  # the same rows, _load_id and _loaded_at included
    runs = query(warehouse, "select n_rows, n_new_rows, n_changed_rows from raw.load_runs "
                            "order by started_at")  # fmt: skip
    expected = sum(
        generate(s, "2024-02-01", "2024-02-15T06:00:00Z")["visits"].size for s in STORES.split(",")
    )
    assert runs[0][0] == runs[0][1] == len(first) == expected
    assert runs[1] == (len(first), 0, 0)


def test_later_runs_read_only_what_is_new_plus_the_overlap(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with run_simulator({"FOOTFALL_SIM_NOW": "2024-02-01T00:00:00Z"}) as url:
        Loader(url).ok(warehouse, "--stores", STORES)
    with run_simulator({"FOOTFALL_SIM_NOW": "2024-02-01T05:00:00Z"}) as url:
        Loader(url).ok(warehouse, "--stores", STORES, env={"FOOTFALL_LOADER_OVERLAP_HOURS": "3"})
        Loader(url).ok(warehouse, "--stores", STORES, env={"FOOTFALL_LOADER_OVERLAP_HOURS": "3"})
    runs = query(
        warehouse,
        "select window_start_utc, window_end_utc, n_rows, n_new_rows from raw.load_runs "
        "order by started_at",
    )
    assert runs[0][0] == datetime(2021, 12, 31, 23)  # Berlin's opening, local midnight
    assert runs[1][:2] == (datetime(2024, 1, 31, 21), datetime(2024, 2, 1, 5))

    def n(start: str, end: str) -> int:
        return sum(generate(s, start, end)["visits"].size for s in STORES.split(","))

    # 3 overlap hours + 5 new hours (7 sensors, less any outage)
    assert runs[1][2:] == (
        n("2024-01-31T21:00Z", "2024-02-01T05:00Z"),
        n("2024-02-01", "2024-02-01T05:00Z"),
    )
    assert runs[2][:2] == (datetime(2024, 2, 1, 2), datetime(2024, 2, 1, 5))  # from the new mark
    assert runs[2][3] == 0
    expected = {
        s: generate(s, "2000-01-01T00:00:00Z", "2024-02-01T05:00:00Z")["visits"].size
        for s in STORES.split(",")
    }
    got = dict(query(warehouse, "select store_id, count(*) from raw.sensor_readings group by 1"))
    assert got == expected


def test_a_reading_the_api_changes_is_updated_and_its_old_value_kept(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    window = ["--stores", "madrid", "--start", "2024-02-05", "--end", "2024-02-06"]
    with run_simulator({"FOOTFALL_SIM_NOW": SIM_NOW}) as url:
        loader = Loader(url)
        loader.ok(warehouse, *window)
        before = dict(query(warehouse, "select reading_start_utc, visits from raw.sensor_readings"))
        scenario = {
            "kind": "traffic",
            "store_id": "madrid",
            "start_utc": "2024-02-05T10:00:00Z",
            "end_utc": "2024-02-05T12:00:00Z",
            "factor": 3.0,
        }
        httpx.post(f"{url}/admin/scenarios", json=scenario, timeout=10).raise_for_status()
        out = loader.ok(warehouse, *window)
    after = dict(query(warehouse, "select reading_start_utc, visits from raw.sensor_readings"))
    changed = {t for t in before if before[t] != after[t]}
    assert changed and changed <= {datetime(2024, 2, 5, 10), datetime(2024, 2, 5, 11)}
    history = query(
        warehouse,
        "select reading_start_utc, visits, new_visits, _superseded_by_load_id is not null "
        "from raw.sensor_readings_history order by 1",
    )
    assert [(t, before[t], after[t], True) for t in sorted(changed)] == history
    [(n_changed,)] = query(
        warehouse, "select n_changed_rows from raw.load_runs order by started_at desc limit 1"
    )
    assert n_changed == len(changed)
    assert "changed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-13-01"], "--start '2024-13-01' is not a date or time"),
        (["--end", "yesterday"], "--end 'yesterday' is not a date or time"),
        (["--start", "2024-02-01", "--end", "2024-01-01"], "is not after --start"),
        (["--start", "2024-01-01T10:30:00Z"], "not on an hour boundary"),
        (["--full-refresh", "--start", "2024-01-01"], "cannot be combined"),
        (["--stores", "madrid,atlantis"], "unknown store(s) 'atlantis'"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(loader: Loader, tmp_path, args, message):
    result = loader.run(tmp_path / "w.duckdb", *args)
    assert result.returncode == 2
    assert message in result.stderr
    if "atlantis" in message:  # the store list is only known from the API
        assert "berlin, london, madrid, paris, roma" in result.stderr
        [(status, error)] = query(tmp_path / "w.duckdb", "select status, error from raw.load_runs")
        assert status == "failed" and "atlantis" in error
        assert query(tmp_path / "w.duckdb", "select count(*) from raw.sensor_readings") == [(0,)]


def test_help_documents_the_command(loader: Loader, tmp_path):
    result = loader.run(tmp_path / "w.duckdb", "--help")
    assert result.returncode == 0
    for option in ("--start", "--end", "--stores", "--full-refresh", "--quiet", "YYYY-MM-DD"):
        assert option in result.stdout
    assert not (tmp_path / "w.duckdb").exists()


def test_full_refresh_reloads_the_stores_history(loader: Loader, tmp_path, reference):
    warehouse = tmp_path / "w.duckdb"
    loader.ok(warehouse, "--stores", STORES, "--start", "2024-02-01")
    loader.ok(warehouse, "--stores", STORES, "--full-refresh")
    assert_same_readings(readings(warehouse), reference)
    [(n_new,)] = query(
        warehouse, "select n_new_rows from raw.load_runs where mode = 'full-refresh'"
    )
    assert n_new == len(reference["visits"])


def test_bare_start_date_is_utc_midnight(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    result = loader.run(warehouse, "--stores", "madrid", "--start", "2024-02-28", "-q")
    assert result.returncode == 0 and result.stdout == result.stderr == ""  # quiet
    [(low, high, n)] = query(
        warehouse,
        "select min(reading_start_utc), max(reading_start_utc), count(*) from raw.sensor_readings",
    )
    assert low >= datetime(2024, 2, 28) and high <= datetime(2024, 2, 29, 23)
    assert n == generate("madrid", "2024-02-28", SIM_NOW)["visits"].size > 40


def test_end_alone_reads_from_the_opening_and_options_override_the_environment(
    api_url: str, tmp_path
):
    warehouse = tmp_path / "w.duckdb"
    nowhere = Loader("http://127.0.0.1:9")  # the environment points nowhere
    result = nowhere.run(
        tmp_path / "unused.duckdb",
        "--stores",
        "madrid",
        "--end",
        "2024-01-03",
        "--api-url",
        api_url,
        "--warehouse",
        str(warehouse),
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "unused.duckdb").exists()
    [(low, high, n)] = query(
        warehouse,
        "select min(reading_start_utc), max(reading_start_utc), count(*) from raw.sensor_readings",
    )
    assert low >= datetime(2023, 12, 31, 23) and high <= datetime(2024, 1, 2, 23)
    assert n == generate("madrid", "2023-12-01", "2024-01-03")["visits"].size > 40


def test_a_window_after_the_api_now_reads_nothing_and_says_so(loader: Loader, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    out = loader.ok(warehouse, "--stores", "madrid", "--start", "2030-01-01")
    assert "nothing to read" in out and "2024-03-01T00:00:00Z" in out
    assert query(warehouse, "select count(*) from raw.sensor_readings") == [(0,)]
    assert query(warehouse, "select status, n_rows from raw.load_runs") == [("success", 0)]
