"""No request of any shape makes the API answer 500: a property-based run over its OpenAPI.

schemathesis generates requests from /openapi.json (valid and invalid ones: wrong types,
missing parameters, odd strings) for every operation and calls the app in process. Random
strings almost never name a store, so in most cases the store is swapped for a real one (or
a real name with other casing) to reach the code behind the 404. Bounded by max_examples so
the whole run takes seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.api import create_app
from simulator.faults import FaultSettings

from .conftest import sim_settings

# Faults off (sim_settings), so an injected 503 never hides a real answer. schemathesis'
# pytest integration needs the schema when the module is collected.
# PUT /admin/faults is fuzzed too: each case starts with the faults off again.
APP = create_app(sim_settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)

REAL_STORES = st.sampled_from(["paris", "london", "madrid", "berlin", "roma"])
# A window of real instants (random strings are almost never ISO 8601): start and length.
WINDOWS = st.tuples(
    st.datetimes(datetime(2013, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)),
    st.integers(-5, 24 * 800),
)


@schema.parametrize()
@schema.given(
    store=st.one_of(st.none(), REAL_STORES),
    use_name=st.booleans(),
    window=st.one_of(st.none(), WINDOWS),
)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error(
    case, store: str | None, use_name: bool, window: tuple[datetime, int] | None
) -> None:
    if store is not None:
        for params in (case.path_parameters, case.query, case.body):
            if isinstance(params, dict) and "store_id" in params:
                params["store_id"] = store
        if isinstance(case.query, dict) and "store_name" in case.query:
            case.query["store_name"] = store.title() if use_name else store
    if window is not None and isinstance(case.query, dict):
        start, hours = window
        if "start" in case.query:
            case.query["start"] = start.isoformat()
            case.query["end"] = (start + timedelta(hours=hours)).isoformat()
        if "year" in case.query:
            parts = {"year": start.year, "month": start.month, "day": start.day}
            case.query.update(parts, hour=start.hour)
    APP.state.sim.faults = FaultSettings()
    APP.state.sim.remove_scenarios()
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query} {case.body} -> "
        f"{response.status_code}: {response.text[:300]}"
    )
    if response.status_code in (404, 422):
        assert isinstance(response.json()["detail"], str)  # {"detail": "..."}, as contracted


# --- well-formed requests, drawn around the real stores ----------------------------------------
# schemathesis mostly sends malformed requests; these draw well-formed ones with edge values
# (unopened stores, DST days, sensor = n, tiny pages, windows past now) to reach deep paths.


@st.composite
def readings_requests(draw: st.DrawFn) -> dict[str, object]:
    start, hours = draw(WINDOWS)
    q: dict[str, object] = {
        "store_id": draw(REAL_STORES),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
    }
    if draw(st.booleans()):
        q["sensor_id"] = draw(st.integers(0, 21))
    if draw(st.booleans()):
        q["page_size"] = draw(st.integers(1, 3000))
    return q


@pytest.fixture(scope="module")
def fuzz_client() -> TestClient:
    with TestClient(create_app(sim_settings(now="2025-06-01T12:34:56Z"))) as c:
        yield c


@given(q=readings_requests(), truth=st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_well_formed_readings_requests(fuzz_client: TestClient, q: dict, truth: bool) -> None:
    path = "/api/v1/truth" if truth else "/api/v1/readings"
    r = fuzz_client.get(path, params=q)
    assert r.status_code in (200, 404, 422), r.text
    if r.status_code != 200:
        return
    body = r.json()
    cols = body["readings"]
    assert {len(v) for v in cols.values()} == {body["n_readings"]}
    assert body["n_readings"] <= q.get("page_size", 100_000)
    assert all(body["start_utc"] <= t < body["end_utc"] for t in cols["reading_start_utc"])
    if body["next_cursor"]:
        nxt = fuzz_client.get(path, params=q | {"cursor": body["next_cursor"]})
        assert nxt.status_code == 200, nxt.text
        first = nxt.json()["readings"]["reading_start_utc"]
        assert not first or first[0] > cols["reading_start_utc"][-1]


@given(
    when=st.datetimes(datetime(2013, 1, 1), datetime(2026, 1, 1)),
    store=REAL_STORES,
    sensor=st.one_of(st.none(), st.integers(0, 21)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_well_formed_original_requests(
    fuzz_client: TestClient, when: datetime, store: str, sensor: int | None
) -> None:
    q = {"store_name": store.title(), "year": when.year, "month": when.month, "day": when.day}
    q |= {"hour": when.hour} | ({} if sensor is None else {"sensor_id": sensor})
    r = fuzz_client.get("/", params=q)
    assert r.status_code in (200, 404, 422), r.text
    if r.status_code == 200:
        assert isinstance(r.json(), int) and r.json() >= -2
