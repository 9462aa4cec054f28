"""Fixtures of the read API tests: the small real warehouse published, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.main import create_app
from footfall.publish import publish
from footfall.settings import AccessSettings

KEY = "test-key-1"
OTHER_KEY = "test-key-2"
MAX_ROWS = 5000


def access_settings(max_rows: int = MAX_ROWS) -> AccessSettings:
    return AccessSettings(host="127.0.0.1", port=0, keys=(KEY, OTHER_KEY), max_rows=max_rows)


@pytest.fixture(scope="session")
def served(small_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small real warehouse published by the real publish step (read it, never change it)."""
    serving = tmp_path_factory.mktemp("access_serving") / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path, wait_s=30)
    return serving


@pytest.fixture(scope="session")
def client(served: Path) -> Iterator[TestClient]:
    """The app over the snapshot, in process, sending a valid key."""
    with TestClient(create_app(access_settings(), served), headers={"X-API-Key": KEY}) as c:
        yield c
