"""The legacy source (issue 13): a chain whose API only has the original endpoint.

`python -m loaders --source legacy --fleet FILE` must land the same raw tables as the batched
source, with the same guarantees. What the original protocol cannot express, and so where the
two sources may differ, is named here:
- the repeated autumn hour: the protocol names a local hour, and the API answers the first
  occurrence; the second UTC hour of it is never asked and stays absent;
- nothing else for readings: -2 (no reading: an outage) lands nothing, as the batched API
  leaves outage hours out; -1 lands as -1; the spring gap has no UTC hour to ask.
- raw.stores: the fleet file has no model parameters (mean_visits ... p_failure are null).
"""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest

from loaders.cli import ConsoleReporter
from loaders.errors import OptionError
from loaders.fleet import read_fleet
from loaders.legacy import LegacySource, _Request, _TaskState, local_hours
from loaders.load import LoadOptions, run_load
from loaders.plan import Task
from loaders.retry import RetryPolicy
from simulator.fleet import default_fleet
from simulator.model import generate
from tests.conftest import REPO_ROOT, run_simulator
from tests.loaders.conftest import (
    Loader,
    assert_consistent,
    assert_same_readings,
    query,
    readings,
    set_faults,
)

FLEET_YAML = REPO_ROOT / "loaders" / "fleets" / "default.yaml"
FLEET_CSV = REPO_ROOT / "loaders" / "fleets" / "default.csv"
NOW = "2024-11-01T00:00:00Z"
# Five days over the autumn change of 2024-10-27 (local 02:00-03:00 twice in Europe).
WINDOW = ("--start", "2024-10-25", "--end", "2024-10-30")
STORES = ("--stores", "madrid,berlin")
#: The second occurrence of 02:00 local on 2024-10-27 in Madrid and Berlin (CET, UTC+1).
REPEATED_HOUR_UTC = np.datetime64("2024-10-27T01:00:00")
OUTAGE = {
    "kind": "outage",
    "store_id": "berlin",
    "sensor_id": 2,
    "start_utc": "2024-10-26T05:00:00Z",
    "end_utc": "2024-10-26T14:00:00Z",
}


def legacy_args(*args: str, now: str = NOW) -> tuple[str, ...]:
    return ("--source", "legacy", "--fleet", str(FLEET_YAML), "--now", now, *args)


@pytest.fixture(scope="module")
def api_with_outage():
    """A fault-free simulator at NOW with an outage of one Berlin sensor inside the window."""
    with run_simulator({"FOOTFALL_SIM_NOW": NOW}) as url:
        r = httpx.post(f"{url}/admin/scenarios", json=OUTAGE, timeout=10)
        assert r.status_code == 201, r.text
        yield url


@pytest.fixture(scope="module")
def batched(api_with_outage: str, tmp_path_factory: pytest.TempPathFactory):
    """The batched source's readings of the window."""
    warehouse = tmp_path_factory.mktemp("batched") / "warehouse.duckdb"
    Loader(api_with_outage).ok(warehouse, *WINDOW, *STORES)
    return readings(warehouse)


# --- the fleet file -------------------------------------------------------------------------


def test_the_default_fleet_file_describes_the_simulators_fleet() -> None:
    stores = read_fleet(FLEET_YAML)
    assert [s.store_id for s in stores] == [s.store_id for s in default_fleet()]
    for got, real in zip(stores, default_fleet(), strict=True):
        f = got.fields
        assert (f["name"], f["timezone"], f["n_sensors"]) == (
            real.name,
            real.timezone,
            real.n_sensors,
        )
        assert f["opened_on"] == real.opened_on.isoformat()
        assert (f["open_hour_local"], f["close_hour_local"]) == (
            real.open_hour_local,
            real.close_hour_local,
        )
        assert f["closed_isodow"] == list(real.closed_isodow)
        assert got.first_hour_utc() == real.opening_utc.replace(tzinfo=None)
        assert len(got.sensors) == real.n_sensors
    assert [s.fields for s in read_fleet(FLEET_CSV)] == [s.fields for s in stores]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("stores: []\n", "lists no store"),
        ("shops: []\n", "top-level `stores:`"),
        ("stores:\n  - {name: X, id: x}\n", "missing timezone"),
        (
            "stores:\n  - {name: X, id: x, timezone: Mars/Base, opened_on: 2024-01-01, "
            "sensors: 1, open_hour_local: 8, close_hour_local: 18}\n",
            "not an IANA zone",
        ),
        (
            "stores:\n  - {name: X, id: x, timezone: UTC, opened_on: 2024-01-01, "
            "sensors: 1, open_hour_local: 18, close_hour_local: 8}\n",
            "before close_hour_local",
        ),
        (
            "stores:\n" + "  - {name: X, id: x, timezone: UTC, opened_on: 2024-01-01, sensors: 1, "
            "open_hour_local: 8, close_hour_local: 18}\n" * 2,
            "listed twice",
        ),
        (
            "stores:\n  - {name: X, id: x, timezone: UTC, opened_on: 2024-01-01, "
            "sensors: 1, open_hour_local: 8, close_hour_local: 18, colour: red}\n",
            "unknown field(s) colour",
        ),
    ],
)
def test_a_bad_fleet_file_is_an_option_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    with pytest.raises(OptionError, match="fleet") as info:
        read_fleet(path)
    assert words in str(info.value)


# --- local hours ----------------------------------------------------------------------------


def test_local_hours_skip_the_repeated_autumn_hour_and_know_no_spring_gap() -> None:
    autumn = list(
        local_hours(
            Task("berlin", datetime(2024, 10, 26, 22), datetime(2024, 10, 27, 4)), "Europe/Berlin"
        )
    )
    assert [f"{local:%H}" for _, local in autumn] == ["00", "01", "02", "03", "04"]
    # 6 UTC hours, 5 nameable: 02:00 local (00:00Z, summer time) is asked, its repeat is not.
    assert datetime.utcfromtimestamp(autumn[2][0]) == datetime(2024, 10, 27, 0)
    spring = list(
        local_hours(
            Task("berlin", datetime(2025, 3, 29, 23), datetime(2025, 3, 30, 3)), "Europe/Berlin"
        )
    )
    assert [f"{local:%H}" for _, local in spring] == ["00", "01", "03", "04"]


# --- the answers, one by one -----------------------------------------------------------------


def test_answers_become_rows_absences_rejects_or_retries() -> None:
    store = read_fleet(FLEET_YAML)[2]  # berlin, 6 sensors
    source = LegacySource(
        "http://127.0.0.1:9",
        [store],
        now=None,
        connections=1,
        timeout_s=1,
        policy=RetryPolicy(3, 0.01, 0.01),
        stop=threading.Event(),
    )
    task = Task("berlin", datetime(2024, 7, 1, 10), datetime(2024, 7, 1, 11))
    state = _TaskState(task, store)
    out: queue.Queue = queue.Queue()
    retried: list[str] = []
    local = datetime(2024, 7, 1, 12)
    hour_s = int(datetime(2024, 7, 1, 10, tzinfo=UTC).timestamp())
    bodies = [b"1234", b"-1", b"-2", b"-7", b"99999999999", b"<html>proxy error</html>"]
    for sensor_id, body in enumerate(bodies):
        state.remaining += 1
        req = _Request(state, hour_s, sensor_id, local, b"/?x")
        source._answer(req, 200, body, {}, out, lambda r, e: retried.append(str(e)))
    state.planned = True
    assert state.sensors == [0, 1] and state.visits == [1234, -1]  # -2: nothing lands
    assert [json.loads(p)["visits"] for _, p in state.rejects] == [-7, 99999999999]
    assert all("not a count" in reason for reason, _ in state.rejects)
    assert len(retried) == 1 and "not an integer" in retried[0]
    req = _Request(state, hour_s, 5, local, b"/?x")
    source._answer(req, 503, b"", {b"retry-after": b"0"}, out, lambda r, e: retried.append(str(e)))
    assert len(retried) == 2 and "503" in retried[1]
    req = _Request(state, hour_s, 5, local, b"/?x")
    source._answer(req, 200, b"17", {}, out, lambda r, e: None)
    task_done, page = out.get_nowait()
    assert task_done == task and page.done_until == task.end
    assert page.visits.tolist() == [1234, -1, 17] and len(page.rejects) == 2


# --- against the simulator --------------------------------------------------------------------


def test_legacy_readings_equal_the_batched_sources(
    api_with_outage: str, batched: dict, tmp_path: Path
) -> None:
    loader = Loader(api_with_outage)
    warehouse = tmp_path / "legacy.duckdb"
    out = loader.ok(warehouse, *legacy_args(*WINDOW, *STORES))
    assert "success" in out
    got = readings(warehouse)
    # What the protocol cannot express: the second occurrence of the repeated autumn hour.
    repeat = batched["reading_start_utc"].astype("datetime64[s]") == REPEATED_HOUR_UTC
    assert repeat.sum() == 1 + 6  # one hour of Madrid's sensor and of Berlin's six
    expected = {k: np.asarray(v)[~repeat] for k, v in batched.items()}
    assert_same_readings(got, expected)
    # The outage: absent from both sources (the legacy API said -2 for those hours).
    outage = (got["store_id"] == "berlin") & (got["sensor_id"] == 2)
    hours = got["reading_start_utc"][outage].astype("datetime64[s]")
    assert not (
        (hours >= np.datetime64("2024-10-26T05:00")) & (hours < np.datetime64("2024-10-26T14:00"))
    ).any()
    assert (got["visits"] == -1).sum() == (expected["visits"] == -1).sum()
    # The same side tables: stores and sensors from the fleet file, the run, its progress.
    stores = query(
        warehouse,
        "select store_id, name, timezone, n_sensors, opened_at_utc from raw.stores "
        "order by store_id",
    )
    assert ("berlin", "Berlin", "Europe/Berlin", 6, datetime(2021, 12, 31, 23)) in stores
    assert query(warehouse, "select count(*) from raw.sensors")[0][0] == 1 + 20 + 6 + 4 + 8
    runs = query(warehouse, "select status, mode, n_rows, n_rejects, api_url from raw.load_runs")
    assert runs == [("success", "window", len(got["visits"]), 0, api_with_outage)]
    done = query(
        warehouse,
        "select store_id, min(window_start_utc), max(done_until_utc), "
        "bool_and(done_until_utc = window_end_utc) from raw.load_progress group by all order by 1",
    )
    assert done == [
        ("berlin", datetime(2024, 10, 25), datetime(2024, 10, 30), True),
        ("madrid", datetime(2024, 10, 25), datetime(2024, 10, 30), True),
    ]

    # Idempotent: the same window again lands nothing new.
    out = loader.ok(warehouse, *legacy_args(*WINDOW, *STORES))
    assert_same_readings(readings(warehouse), expected)
    assert "0 retried" in out
    totals = query(
        warehouse,
        "select n_new_rows, n_changed_rows from raw.load_runs order by started_at desc limit 1",
    )
    assert totals == [(0, 0)]


def test_incremental_runs_read_only_what_is_new(api_with_outage: str, tmp_path: Path) -> None:
    loader = Loader(api_with_outage)
    warehouse = tmp_path / "legacy.duckdb"
    loader.ok(
        warehouse,
        *legacy_args(
            "--start", "2024-10-31", "--end", "2024-10-31T12:00:00Z", "--stores", "madrid"
        ),
    )
    # No window: the watermark (12:00Z) minus the overlap (24 h by default) up to --now.
    env = {"FOOTFALL_LOADER_OVERLAP_HOURS": "2"}
    loader.ok(warehouse, *legacy_args("--stores", "madrid", now="2024-10-31T18:00:00Z"), env=env)
    last = query(
        warehouse,
        "select window_start_utc, window_end_utc, n_rows, n_new_rows from raw.load_runs "
        "order by started_at desc limit 1",
    )
    # Madrid's one sensor, less its outage hours if any: what the model says for those hours.
    expected = len(generate("madrid", "2024-10-31T00:00:00Z", "2024-10-31T18:00:00Z")["visits"])
    recent = len(generate("madrid", "2024-10-31T10:00:00Z", "2024-10-31T18:00:00Z")["visits"])
    new = len(generate("madrid", "2024-10-31T12:00:00Z", "2024-10-31T18:00:00Z")["visits"])
    assert last == [(datetime(2024, 10, 31, 10), datetime(2024, 10, 31, 18), recent, new)]
    assert len(readings(warehouse)["visits"]) == expected


def test_transient_faults_are_retried_and_lose_nothing(batched: dict, tmp_path: Path) -> None:
    with run_simulator({"FOOTFALL_SIM_NOW": NOW}) as url:
        r = httpx.post(f"{url}/admin/scenarios", json=OUTAGE, timeout=10)
        assert r.status_code == 201
        set_faults(
            url, share_5xx=0.1, share_429=0.05, retry_after_s=0, share_malformed=0.05, seed=13
        )
        warehouse = tmp_path / "legacy.duckdb"
        out = Loader(url).ok(warehouse, *legacy_args(*WINDOW, *STORES))
    retried = int(out.split(" retried request(s)")[0].rsplit(" ", 1)[-1])
    assert retried > 50
    repeat = batched["reading_start_utc"].astype("datetime64[s]") == REPEATED_HOUR_UTC
    assert_same_readings(
        readings(warehouse), {k: np.asarray(v)[~repeat] for k, v in batched.items()}
    )


def test_a_killed_legacy_load_keeps_whole_tasks_and_the_next_run_completes(tmp_path: Path) -> None:
    window = ("--start", "2024-06-01", "--end", "2024-10-01", "--stores", "madrid")  # 18 tasks
    with run_simulator({"FOOTFALL_SIM_NOW": NOW}) as url:
        loader = Loader(url)
        reference_wh = tmp_path / "reference.duckdb"
        loader.ok(reference_wh, *legacy_args(*window))
        reference = readings(reference_wh)
        set_faults(url, latency_ms=15.0)
        warehouse = tmp_path / "killed.duckdb"
        proc = loader.popen(warehouse, *legacy_args(*window, "--connections", "2", "-v"))
        seen = 0
        for line in proc.stdout:  # a line per task written
            seen += line.startswith("page ")
            if seen >= 3:
                break
        alive = proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        assert alive, "the load ended before the kill"
        n_kept = assert_consistent(warehouse, reference)
        assert 0 < n_kept < len(reference["visits"])
        set_faults(url)
        out = loader.ok(warehouse, *legacy_args(*window))
    assert "marked 1 interrupted run(s) as aborted" in out
    assert_same_readings(readings(warehouse), reference)


def test_options_of_the_legacy_source(loader: Loader, tmp_path: Path) -> None:
    r = loader.run(tmp_path / "w.duckdb", "--source", "legacy")
    assert r.returncode == 2 and "needs --fleet" in r.stderr
    r = loader.run(tmp_path / "w.duckdb", "--now", "2024-01-01")
    assert r.returncode == 2 and "go with --source legacy" in r.stderr
    r = loader.run(
        tmp_path / "w.duckdb", "--source", "legacy", "--fleet", str(tmp_path / "none.yaml")
    )
    assert r.returncode == 2 and "no such file" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(FLEET_YAML.read_text().replace("name: Madrid", "name: Lutetia"))
    r = loader.run(tmp_path / "w.duckdb", "--source", "legacy", "--fleet", str(bad))
    assert r.returncode == 4 and "unknown store_name 'Lutetia'" in r.stderr, r.stderr
    r = Loader("http://127.0.0.1:9").run(tmp_path / "w2.duckdb", *legacy_args())
    assert r.returncode == 3 and "no API answers" in r.stderr


def test_the_progress_bar_counts_the_legacy_readings(api_with_outage: str, tmp_path: Path) -> None:
    options = LoadOptions(
        warehouse=tmp_path / "w.duckdb",
        api_url=api_with_outage,
        start=datetime(2024, 10, 28),
        end=datetime(2024, 10, 30),
        stores=("berlin",),
        source="legacy",
        fleet=FLEET_YAML,
        now=datetime(2024, 11, 1),
    )
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, bar=True, verbose=True)
    result = run_load(options, reporter)
    reporter.close()
    assert result.status == "success" and result.n_tasks == 1  # tasks of a week
    text = stream.getvalue()
    assert "288/288" in text  # 48 hours x 6 sensors
    assert text.count("page berlin") == 1
