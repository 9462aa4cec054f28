"""No request of any shape makes the read API answer 500: schemathesis over its OpenAPI.

schemathesis generates requests from /openapi.json (valid and invalid: wrong types, odd
strings, out-of-range numbers) for every operation and calls the app in process, over the
small real snapshot, with a valid key (so that the requests get past the key check to the
code behind it; the key check has its own tests). Random strings almost never name a store,
so in most cases the stores are swapped for real ones to reach the queries behind the 404.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.main import create_app
from tests.access.conftest import KEY, access_settings

# schemathesis' pytest integration needs the schema when the module is collected; the
# snapshot path is set once the session's small warehouse is published (fixture below).
app = create_app(access_settings(), Path("/nonexistent/serving.duckdb"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

REAL_STORES = st.sampled_from(["london", "madrid", "london,madrid", "MADRID", "paris"])


@pytest.fixture(autouse=True)
def _over_the_snapshot(served: Path) -> None:
    app.state.serving = served


@schema.parametrize()
@schema.given(stores=st.one_of(st.none(), REAL_STORES))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error(case, stores: str | None) -> None:
    if stores is not None and isinstance(case.query, dict) and "stores" in case.query:
        case.query["stores"] = stores
    response = case.call(headers={"X-API-Key": KEY})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query} -> "
        f"{response.status_code}: {response.text[:300]}"
    )
    if response.status_code in (401, 404, 422):
        assert isinstance(response.json()["detail"], str)  # {"detail": "..."}, a message


# --- well-formed requests with edge values --------------------------------------------------
# schemathesis mostly sends malformed requests; these draw well-formed ones at the edges
# (dates from year 1 to 9999, every weekday and hour, sensor numbers past the last one, tiny
# and huge limits) on every list endpoint, to reach the queries behind the parameters.
LIST_PATHS = [
    p
    for p, item in app.openapi()["paths"].items()
    if p.startswith("/v1/") and "{" not in p and "datasets" not in p
]


# the ends of the calendar, the data's own months, and anything between
DATES = st.one_of(
    st.sampled_from([dt.date.min, dt.date.max]),
    st.dates(dt.date(2024, 9, 1), dt.date(2025, 5, 1)),
    st.dates(),
)


@st.composite
def list_requests(draw: st.DrawFn) -> dict[str, object]:
    q: dict[str, object] = {}
    if draw(st.booleans()):
        q["stores"] = draw(REAL_STORES)
    if draw(st.booleans()):
        q["sensors"] = draw(st.lists(st.integers(-1, 9), min_size=1, max_size=3))
    for name in ("start_date", "end_date", "opened_from", "opened_to"):
        if draw(st.booleans()):
            q[name] = draw(DATES).isoformat()
    if draw(st.booleans()):
        q["weekday"] = draw(st.integers(0, 8))
    if draw(st.booleans()):
        q["local_hour"] = draw(st.integers(-1, 24))
    if draw(st.booleans()):
        q["limit"] = draw(st.integers(1, 10**7))
    q["format"] = draw(st.sampled_from(["json", "csv", "parquet"]))
    return q


@pytest.fixture(scope="module")
def fuzz_client(served: Path):
    from fastapi.testclient import TestClient

    with TestClient(create_app(access_settings(), served), headers={"X-API-Key": KEY}) as c:
        yield c


@pytest.mark.parametrize("path", LIST_PATHS)
@given(q=list_requests())
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_well_formed_requests_never_fail(fuzz_client, path: str, q: dict) -> None:
    answer = fuzz_client.get(path, params=q)
    assert answer.status_code in (200, 404, 422), (path, q, answer.text[:300])
    if answer.status_code != 200:
        assert isinstance(answer.json()["detail"], str)
