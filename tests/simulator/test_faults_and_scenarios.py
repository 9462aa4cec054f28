"""Fault injection (off by default, env and PUT /admin/faults) and on-demand scenarios."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator.model import generate

PARAMS = {"store_id": "berlin", "start": "2024-03-04", "end": "2024-03-06"}


def _truth_rows(store: str = "berlin", start: str = "2024-03-04", end: str = "2024-03-06"):
    d = generate(store, start, end)
    return {
        (str(t) + "Z", int(s), int(v))
        for t, s, v in zip(d["reading_start_utc"], d["sensor_id"], d["visits"], strict=True)
    }


def _rows(body: dict) -> list[tuple]:
    r = body["readings"]
    return list(zip(r["reading_start_utc"], r["sensor_id"], r["visits"], strict=True))


def test_faults_are_off_by_default(client) -> None:
    faults = client.get("/admin/faults").json()
    assert faults["latency_ms"] == 0 and faults["retry_after_s"] == 1
    assert all(v == 0 for k, v in faults.items() if k.startswith("share_"))
    for _ in range(20):
        r = client.get("/api/v1/readings", params=PARAMS)
        assert r.status_code == 200
        assert set(_rows(r.json())) == _truth_rows()


def test_every_request_fault_from_the_environment_settings(make_client) -> None:
    c = make_client(fault_5xx=1.0)
    r = c.get("/api/v1/readings", params=PARAMS)
    assert r.status_code == 503 and "injected" in r.json()["detail"]
    assert c.get("/api/v1/stores").status_code == 503
    assert (
        c.get(
            "/", params={"store_name": "Paris", "year": 2022, "month": 7, "day": 1, "hour": 9}
        ).status_code
        == 503
    )
    # Never /health, /admin, the docs or the truth.
    assert c.get("/health").status_code == 200
    assert c.get("/admin/faults").json()["share_5xx"] == 1.0
    assert c.get("/openapi.json").status_code == 200
    assert c.get("/api/v1/truth", params=PARAMS).status_code == 200

    c = make_client(fault_429=1.0, fault_retry_after_s=3)
    r = c.get("/api/v1/readings", params=PARAMS)
    assert r.status_code == 429 and r.headers["retry-after"] == "3"


def test_put_faults_replaces_them_and_validates(client) -> None:
    full = client.get("/api/v1/readings", params=PARAMS).content
    try:
        r = client.put("/admin/faults", json={"share_truncated": 1.0})
        assert r.status_code == 200 and r.json()["share_truncated"] == 1.0
        body = client.get("/api/v1/readings", params=PARAMS).content
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        assert len(body) < len(full) and full.startswith(body)

        client.put("/admin/faults", json={"share_malformed": 1.0})
        r = client.get("/api/v1/stores")
        assert r.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
        assert client.get("/admin/faults").json()["share_truncated"] == 0.0  # replaced

        bad = client.put("/admin/faults", json={"share_5xx": 1.5})
        assert bad.status_code == 422
        assert client.put("/admin/faults", json={"share_500": 0.1}).status_code == 422
    finally:
        client.put("/admin/faults", json={})
    assert client.get("/api/v1/readings", params=PARAMS).status_code == 200


def test_a_fault_seed_repeats_the_same_faults(make_client) -> None:
    def statuses(client) -> list[int]:
        return [client.get("/api/v1/stores").status_code for _ in range(40)]

    a = statuses(make_client(fault_5xx=0.3, fault_429=0.2, fault_seed=11))
    b = statuses(make_client(fault_5xx=0.3, fault_429=0.2, fault_seed=11))
    assert a == b and {200, 429, 503} <= set(a)
    c = make_client()
    c.put("/admin/faults", json={"share_5xx": 0.3, "share_429": 0.2, "seed": 11})
    assert statuses(c) == a
    c.put("/admin/faults", json={"share_5xx": 0.3, "share_429": 0.2, "seed": 12})
    assert statuses(c) != a


def test_latency_is_added(make_client) -> None:
    import time

    c = make_client(fault_latency_ms=150.0)
    started = time.perf_counter()
    assert c.get("/api/v1/stores").status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_duplicated_rows_are_added_and_true_rows_remain(make_client) -> None:
    c = make_client(fault_duplicates=1.0)
    body = c.get("/api/v1/readings", params=PARAMS).json()
    rows = _rows(body)
    truth = _truth_rows()
    assert set(rows) == truth
    assert len(truth) < len(rows) == body["n_readings"]


def test_bad_rows_are_added_and_true_rows_remain(make_client) -> None:
    c = make_client(fault_bad_rows=1.0)
    body = c.get("/api/v1/readings", params=PARAMS).json()
    rows = _rows(body)
    truth = _truth_rows()
    extra = [r for r in rows if r not in truth]
    assert {r for r in rows if r in truth} == truth
    assert len(extra) == 3
    assert any(r[1] >= 6 for r in extra)  # unknown sensor
    assert any(isinstance(r[2], str) for r in extra)  # wrong type
    assert any(not "2024-03-04" <= r[0] < "2024-03-06" for r in extra)  # outside the window


# --- scenarios ---------------------------------------------------------------------------------


def test_outage_scenario_silences_a_sensor(client) -> None:
    sc = {
        "kind": "outage",
        "store_id": "berlin",
        "sensor_id": 2,
        "start_utc": "2024-03-04T10:00:00Z",
        "end_utc": "2024-03-05T10:00:00Z",
    }
    try:
        r = client.post("/admin/scenarios", json=sc)
        assert r.status_code == 201, r.text
        assert r.json()["scenario_id"] >= 1
        rows = _rows(client.get("/api/v1/readings", params=PARAMS).json())
        silent = {
            (t, s) for t, s, _ in _truth_rows() if s == 2 and "2024-03-04T10" <= t < "2024-03-05T10"
        }
        assert len(silent) == 24
        assert not silent & {(t, s) for t, s, _ in rows}
        truth = client.get("/api/v1/truth", params=PARAMS).json()["readings"]
        status = {
            (t, s): st
            for t, s, st in zip(
                truth["reading_start_utc"], truth["sensor_id"], truth["status"], strict=True
            )
        }
        assert {status[k] for k in silent} == {"outage"}
        assert len(client.get("/admin/scenarios").json()["scenarios"]) == 1
    finally:
        assert client.delete("/admin/scenarios").status_code == 200
    rows = _rows(client.get("/api/v1/readings", params=PARAMS).json())
    assert set(rows) == _truth_rows()


def test_traffic_scenario_scales_a_store(client) -> None:
    window = {"store_id": "paris", "start": "2024-03-04", "end": "2024-03-10"}
    before = client.get("/api/v1/truth", params=window).json()["readings"]
    sc = {
        "kind": "traffic",
        "store_id": "paris",
        "start_utc": "2024-03-06T00:00:00Z",
        "end_utc": "2024-03-08T00:00:00Z",
        "factor": 0.3,
    }
    created = client.post("/admin/scenarios", json=sc).json()
    try:
        after = client.get("/api/v1/truth", params=window).json()["readings"]
    finally:
        assert client.delete(f"/admin/scenarios/{created['scenario_id']}").status_code == 200
    t = np.array(before["reading_start_utc"])
    inside = (t >= "2024-03-06") & (t < "2024-03-08")
    b, a = np.array(before["visits_true"]), np.array(after["visits_true"])
    assert a[inside].sum() / b[inside].sum() == pytest.approx(0.3, rel=0.01)
    assert np.array_equal(a[~inside], b[~inside])
    assert client.delete(f"/admin/scenarios/{created['scenario_id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "outage", "store_id": "lyon"}, 404),
        ({"kind": "outage", "store_id": "paris", "sensor_id": 20}, 404),
        ({"kind": "flood", "store_id": "paris"}, 422),
        ({"kind": "outage", "store_id": "paris", "end_utc": "2024-01-01T00:00:00Z"}, 422),
        ({"kind": "traffic", "store_id": "paris", "start_utc": "2024-01-01T00:00:00"}, 422),
        ({"kind": "outage", "store_id": "paris", "start_utc": "0001-01-01T00:00:00+01:00"}, 422),
        ({"kind": "outage", "store_id": "paris", "end_utc": "9999-12-31T23:00:00-05:00"}, 422),
    ],
)
def test_bad_scenarios(client, body: dict, status: int) -> None:
    full = {"start_utc": "2024-01-02T00:00:00Z", "end_utc": "2024-01-03T00:00:00Z"} | body
    r = client.post("/admin/scenarios", json=full)
    assert r.status_code == status, r.text
    assert client.get("/admin/scenarios").json()["scenarios"] == []
