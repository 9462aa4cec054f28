"""The original endpoint, as the original project's client used it (issue 13).

The original downloader asked every naive local hour from a start date up to its clock, one
request each on a new connection, and stopped at any answer but 200. The hour in progress
answers its count so far, the spring gap -2; unknown stores and sensors stay 404, malformed
parameters 422. The fast path (ServingApp, what uvicorn serves) and the FastAPI route answer
alike.
"""

from __future__ import annotations

import http.client
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from simulator.api import ServingApp, create_app
from simulator.model import ModelConfig, generate
from tests.conftest import run_simulator

from .conftest import sim_settings


def _truth_at(store: str, utc: datetime) -> np.ndarray:
    """Every sensor's visits of one UTC hour (outage hours included as -2)."""
    d = generate(store, utc, utc + timedelta(hours=1), config=ModelConfig(), truth=True)
    return np.asarray(d["visits"])


def _downloader(url: str, store: str, tz: str, start: datetime, n_sensors: int, now: datetime):
    """The original client: naive local hours from `start` up to the hour in progress at
    `now` (in the store's zone), a hour at a time; per hour every sensor and the total, each
    request on a new connection. Yields (naive local hour, sensor or None, answer)."""
    parts = urlsplit(url)
    local_now = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    moment = start
    while moment <= local_now:
        for sensor in [*range(n_sensors), None]:
            q = {"store_name": store, "year": moment.year, "month": moment.month}
            q |= {"day": moment.day, "hour": moment.hour}
            if sensor is not None:
                q["sensor_id"] = sensor
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request("GET", "/?" + urlencode(q))
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            assert answer.status == 200, f"{q} -> {answer.status} {body[:200]!r}"
            yield moment, sensor, int(body)
        moment += timedelta(hours=1)


@pytest.mark.parametrize(
    ("now", "start"),
    [
        # Spring: 2025-03-30, 02:00 local does not exist in Berlin and Madrid.
        (datetime(2025, 3, 31, 9, 40, tzinfo=UTC), datetime(2025, 3, 29)),
        # Autumn: 2024-10-27, 02:00 local happens twice.
        (datetime(2024, 10, 28, 9, 40, tzinfo=UTC), datetime(2024, 10, 26)),
    ],
    ids=["spring", "autumn"],
)
def test_the_original_downloader_gets_200_for_every_hour(now: datetime, start: datetime) -> None:
    with run_simulator({"FOOTFALL_SIM_NOW": now.strftime("%Y-%m-%dT%H:%M:%SZ")}) as url:
        for store, tz, n_sensors in (
            ("Madrid", "Europe/Madrid", 1),
            ("Berlin", "Europe/Berlin", 6),
        ):
            answers = list(_downloader(url, store, tz, start, n_sensors, now))
            zone = ZoneInfo(tz)
            hours = sorted({m for m, _, _ in answers})
            assert len(hours) >= 48
            seen_gap = seen_progress = False
            for moment in hours:
                got = {s: v for m, s, v in answers if m == moment}
                local = moment.replace(tzinfo=zone)
                utc = local.astimezone(UTC)
                if utc.astimezone(zone).replace(tzinfo=None) != moment:  # the spring gap
                    seen_gap = True
                    assert set(got.values()) == {-2}, got
                    continue
                truth = _truth_at(store.lower(), utc)
                elapsed = (now - utc).total_seconds()
                if elapsed < 3600:  # the hour in progress: the count so far
                    seen_progress = True
                    share = elapsed / 3600
                    expected = [int(v * share) if v > 0 else int(v) for v in truth]
                else:
                    expected = [int(v) for v in truth]
                assert [got[s] for s in range(n_sensors)] == expected, moment
                assert got[None] == sum(max(v, 0) for v in expected), moment
            assert seen_progress
            assert seen_gap == (start.month == 3)


NOW = datetime(2024, 7, 2, 10, 15, tzinfo=UTC)  # a Tuesday, 12:15 in Paris


@pytest.fixture(scope="module")
def clients():
    """(the FastAPI app, the ServingApp uvicorn serves) over one simulator state, now = NOW."""
    app = create_app(sim_settings(now=NOW.strftime("%Y-%m-%dT%H:%M:%SZ")))
    with TestClient(app) as plain, TestClient(ServingApp(app)) as served:
        yield plain, served


BASE = {"store_name": "Paris", "year": 2024, "month": 7, "day": 2, "hour": 12}


def test_the_hour_in_progress_answers_its_count_so_far(clients) -> None:
    plain, served = clients
    truth = _truth_at("paris", datetime(2024, 7, 2, 10, tzinfo=UTC))
    for client in (plain, served):
        per_sensor = [client.get("/", params=BASE | {"sensor_id": s}).json() for s in range(20)]
        assert per_sensor == [int(v * 0.25) if v > 0 else int(v) for v in truth]
        assert client.get("/", params=BASE).json() == sum(max(v, 0) for v in per_sensor)
        ended = client.get("/", params=BASE | {"hour": 11, "sensor_id": 0}).json()
        assert ended == int(_truth_at("paris", datetime(2024, 7, 2, 9, tzinfo=UTC))[0])
        later = client.get("/", params=BASE | {"hour": 13})
        assert later.status_code == 404 and "has not begun" in later.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        (BASE | {"store_name": "Lyon"}, 404, "unknown store_name"),
        (BASE | {"sensor_id": 20}, 404, "sensors 0 to 19"),
        (BASE | {"hour": 24}, 422, "query.hour"),
        (BASE | {"hour": "noon"}, 422, "valid integer"),
        (BASE | {"sensor_id": -1}, 422, "query.sensor_id"),
        (BASE | {"sensor_id": ""}, 422, "query.sensor_id"),
        (BASE | {"month": 2, "day": 30}, 422, "not a valid date"),
        ({k: v for k, v in BASE.items() if k != "day"}, 422, "query.day: Field required"),
        (BASE | {"year": 0}, 422, "query.year"),
    ],
)
def test_bad_requests_keep_their_404_and_422(clients, params, status, words) -> None:
    for client in clients:
        r = client.get("/", params=params)
        assert r.status_code == status, r.text
        assert words in r.json()["detail"]


def test_fast_path_and_route_agree(clients) -> None:
    plain, served = clients
    rng = np.random.default_rng(13)
    for _ in range(60):
        day = int(rng.integers(1, 32))
        q = {"store_name": str(rng.choice(["paris", "London", "ROMA", "Madrid"]))}
        q |= {"year": int(rng.integers(2013, 2025)), "month": int(rng.integers(1, 13))}
        q |= {"day": day, "hour": int(rng.integers(0, 24))}
        if rng.random() < 0.7:
            q["sensor_id"] = int(rng.integers(0, 21))
        a, b = plain.get("/", params=q), served.get("/", params=q)
        assert (a.status_code, a.content) == (b.status_code, b.content), q


def test_faults_reach_the_fast_path() -> None:
    app = create_app(sim_settings(fault_5xx=1.0))
    with TestClient(ServingApp(app)) as served:
        assert served.get("/", params=BASE).status_code == 503
        assert served.get("/health").status_code == 200
