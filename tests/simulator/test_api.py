"""The HTTP API against docs/contracts.md section 1, in process (FastAPI's TestClient)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from simulator.model import ModelConfig, generate

from .conftest import NOW

STORE_KEYS = [
    "store_id",
    "name",
    "city",
    "country",
    "timezone",
    "opened_on",
    "n_sensors",
    "open_hour_local",
    "close_hour_local",
    "closed_isodow",
    "mean_visits",
    "std_visits",
    "p_anomaly",
    "p_failure",
    "opened_at_utc",
]


def _columns(body: dict) -> dict[str, np.ndarray]:
    r = body["readings"]
    assert all(t.endswith("Z") for t in r["reading_start_utc"][:50])
    out = {
        "reading_start_utc": np.array([t[:-1] for t in r["reading_start_utc"]], "datetime64[s]"),
        "sensor_id": np.array(r["sensor_id"], dtype=np.int64),
        "visits": np.array(r["visits"], dtype=np.int64),
    }
    if "status" in r:
        out["status"] = np.array(r["status"])
        out["visits_true"] = np.array(r["visits_true"], dtype=np.int64)
    return out


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def _all_pages(client: TestClient, path: str, **params: object) -> tuple[list[dict], dict]:
    pages = []
    cursor = None
    while True:
        q = dict(params) | ({"cursor": cursor} if cursor else {})
        r = client.get(path, params=q)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            break
    cols = [_columns(p) for p in pages]
    return pages, {k: np.concatenate([c[k] for c in cols]) for k in cols[0]}


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["now_utc"] == NOW
    assert body["profile"] == "realistic" and body["n_stores"] == 5


def test_stores_and_sensors(client: TestClient) -> None:
    stores = client.get("/api/v1/stores").json()["stores"]
    assert [s["store_id"] for s in stores] == ["madrid", "paris", "berlin", "roma", "london"]
    paris = client.get("/api/v1/stores/paris").json()
    assert list(paris) == STORE_KEYS
    assert paris == stores[1]
    assert paris["opened_on"] == "2018-01-01" and paris["closed_isodow"] == [7]
    assert paris["opened_at_utc"] == "2017-12-31T23:00:00Z"  # local midnight, CET
    sensors = client.get("/api/v1/stores/berlin/sensors").json()["sensors"]
    assert sensors == [
        {"store_id": "berlin", "sensor_id": i, "name": f"Door {i}"} for i in range(6)
    ]
    for path in ("/api/v1/stores/Paris", "/api/v1/stores/lyon/sensors"):
        r = client.get(path)
        assert r.status_code == 404 and "unknown store_id" in r.json()["detail"]


def test_paginated_readings_equal_the_model(client: TestClient) -> None:
    params = {"store_id": "paris", "start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}
    pages, got = _all_pages(client, "/api/v1/readings", **params, page_size=5000)
    _same(got, generate("paris", "2024-01-01", "2024-02-01"))
    assert len(pages) == -(-31 * 24 // 250)  # 250 whole hours of 20 sensors per page
    for p in pages:
        assert p["n_readings"] == len(p["readings"]["visits"]) <= 5000
        assert (p["start_utc"], p["end_utc"]) == ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")
    # Whole hours: no hour is split across pages.
    last_hours = [p["readings"]["reading_start_utc"][-1] for p in pages[:-1]]
    first_hours = [p["readings"]["reading_start_utc"][0] for p in pages[1:]]
    assert all(a < b for a, b in zip(last_hours, first_hours, strict=True))
    # The cursor is the next page's first hour, base64url without padding.
    c = pages[0]["next_cursor"]
    assert base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)).decode() == "2024-01-11T10:00:00Z"


def test_default_page_and_one_sensor(client: TestClient) -> None:
    body = client.get(
        "/api/v1/readings",
        params={"store_id": "london", "start": "2023-01-01", "end": "2025-01-01", "sensor_id": 3},
    ).json()
    assert body["n_readings"] <= 100_000 and body["next_cursor"] is None
    _same(_columns(body), generate("london", "2023-01-01", "2025-01-01", sensor_id=3))


def test_truth_has_outages_and_the_true_values(client: TestClient) -> None:
    params = {"store_id": "london", "start": "2023-01-01", "end": "2024-01-01"}
    _, got = _all_pages(client, "/api/v1/truth", **params, page_size=1_000_000)
    _same(got, generate("london", "2023-01-01", "2024-01-01", truth=True))
    assert set(got["status"]) == {"ok", "failed", "anomalous", "closed", "outage"}
    assert np.all(got["visits"][got["status"] == "outage"] == -2)


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"start": "2024-01-02", "end": "2024-01-01"}, 422, "must be before"),
        ({"start": "yesterday", "end": "2024-01-01"}, 422, "not an ISO 8601"),
        ({"start": "2024-01-01", "end": "2024-02-30"}, 422, "not an ISO 8601"),
        ({"start": "2024-01-01", "end": "2024-01-02", "cursor": "bm9wZQ"}, 422, "not a cursor"),
        ({"start": "2024-01-01", "end": "2024-01-02", "page_size": 19}, 422, "at least 20"),
        ({"start": "2024-01-01", "end": "2024-01-02", "page_size": 0}, 422, "page_size"),
        ({"start": "2024-01-01", "end": "2024-01-02", "sensor_id": 20}, 404, "sensors 0 to 19"),
        ({"start": "2024-01-01", "end": "2024-01-02", "store_id": "lyon"}, 404, "unknown"),
        (
            {"start": "2024-01-01", "end": "2024-01-02", "cursor": "MjAyNC0wMS0xNVQwMDowMDowMFo"},
            422,
            "outside the window",
        ),
    ],
)
def test_bad_readings_requests(client: TestClient, params: dict, status: int, words: str) -> None:
    r = client.get("/api/v1/readings", params={"store_id": "paris", **params})
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and words in detail


def test_offsets_and_bare_dates_name_the_same_window(client: TestClient) -> None:
    a = client.get(
        "/api/v1/readings",
        params={"store_id": "roma", "start": "2024-05-06T02:00:00+02:00", "end": "2024-05-07"},
    ).json()
    b = client.get(
        "/api/v1/readings",
        params={"store_id": "roma", "start": "2024-05-06T00:00:00Z", "end": "2024-05-07T00:00Z"},
    ).json()
    assert a["readings"] == b["readings"] and a["n_readings"] == 24 * 4


def test_only_ended_hours_exist(make_client) -> None:
    c = make_client(now="2024-01-08T10:30:00Z")
    body = c.get(
        "/api/v1/readings",
        params={"store_id": "berlin", "start": "2024-01-08", "end": "2024-02-01"},
    ).json()
    assert body["end_utc"] == "2024-01-08T10:00:00Z"
    assert body["readings"]["reading_start_utc"][-1] == "2024-01-08T09:00:00Z"
    future = c.get(
        "/api/v1/readings",
        params={"store_id": "berlin", "start": "2025-01-01", "end": "2025-02-01"},
    ).json()
    assert future["n_readings"] == 0 and future["next_cursor"] is None


# --- the original endpoint -------------------------------------------------------------------


def _model_at(store: str, utc: str, sensor: int | None = None) -> np.ndarray:
    t = np.datetime64(utc.rstrip("Z"), "s")
    d = generate(store, t, t + np.timedelta64(1, "h"), config=ModelConfig(), truth=True)
    v = d["visits"]
    return v if sensor is None else v[d["sensor_id"] == sensor]


def test_original_endpoint_answers_an_integer(client: TestClient) -> None:
    q = {"store_name": "Paris", "year": 2022, "month": 7, "day": 30, "hour": 12}
    one = client.get("/", params=q | {"sensor_id": 12})
    assert one.status_code == 200
    # 12:00 in Paris in July (CEST, UTC+2) is 10:00Z.
    assert one.json() == int(_model_at("paris", "2022-07-30T10:00:00Z", 12)[0])
    total = client.get("/", params=q).json()
    assert total == int(np.maximum(_model_at("paris", "2022-07-30T10:00:00Z"), 0).sum())
    assert client.get("/", params=q | {"store_name": "paris"}).json() == total


def test_original_endpoint_edge_cases(client: TestClient) -> None:
    base = {"store_name": "Paris", "year": 2022, "month": 7, "day": 30, "hour": 12}

    def get(**over: object):
        return client.get("/", params=base | over)

    assert get(year=2017).json() == -2  # before the opening
    r = get(sensor_id=20)
    assert r.status_code == 404 and "sensors 0 to 19" in r.json()["detail"]
    assert get(sensor_id=19).status_code == 200
    assert get(month=2, day=30).status_code == 422
    assert get(hour=24).status_code == 422
    # 02:00 on 2024-03-31 does not exist in Paris (clocks jump to 03:00): -2, no reading.
    r = get(year=2024, month=3, day=31, hour=2, sensor_id=3)
    assert r.status_code == 200 and r.json() == -2
    # Ambiguous 02:00 on 2024-10-27 (clocks go back at 03:00 CEST): its first occurrence, 00:00Z.
    amb = get(year=2024, month=10, day=27, hour=2, sensor_id=5).json()
    assert amb == int(_model_at("paris", "2024-10-27T00:00:00Z", 5)[0])
    r = get(year=2026, month=11, day=1, hour=9)  # after the hour in progress at now
    assert r.status_code == 404 and "has not begun" in r.json()["detail"]
    assert get(store_name="Lyon").status_code == 404


def test_original_endpoint_outage_hour_is_minus_two(client: TestClient) -> None:
    d = generate("london", "2023-01-01", "2024-01-01", truth=True)
    i = int(np.flatnonzero(d["status"] == "outage")[0])
    utc = datetime.fromtimestamp(int(d["reading_start_utc"][i].astype(np.int64)), tz=UTC)
    local = utc.astimezone(ZoneInfo("Europe/London"))
    q = {
        "store_name": "London",
        "year": local.year,
        "month": local.month,
        "day": local.day,
        "hour": local.hour,
    }
    assert client.get("/", params=q | {"sensor_id": int(d["sensor_id"][i])}).json() == -2
    hour = d["reading_start_utc"] == d["reading_start_utc"][i]
    expected_total = int(np.maximum(d["visits"][hour], 0).sum())
    assert client.get("/", params=q).json() == expected_total


def test_openapi_is_served(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/health", "/api/v1/readings", "/api/v1/truth", "/", "/admin/faults"):
        assert p in paths
    assert client.get("/docs").status_code == 200
