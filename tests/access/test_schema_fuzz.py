"""No request of any shape makes the read API answer 500: schemathesis over its OpenAPI.

schemathesis generates requests from /openapi.json (valid and invalid: wrong types, odd
strings, out-of-range numbers) for every operation and calls the app in process, over the
small real snapshot, with a valid key (so that the requests get past the key check to the
code behind it; the key check has its own tests). Random strings almost never name a store,
so in most cases the stores are swapped for real ones to reach the queries behind the 404.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
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
