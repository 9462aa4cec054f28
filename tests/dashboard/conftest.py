"""Fixtures of the dashboard tests: the small real warehouse published as a serving snapshot,
and the dashboard served by `python -m dashboards` on a free port."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from footfall import services
from footfall.publish import publish

PAGES = {
    # AppTest page script -> browser path
    "views/overview.py": "",
    "views/stores.py": "stores",
    "views/sensors.py": "sensors",
    "views/trends.py": "trends",
    "views/quality.py": "quality",
}


@pytest.fixture(scope="session")
def published(small_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small real warehouse published by the real publish step (read it, never change it)."""
    serving = tmp_path_factory.mktemp("serving") / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path, wait_s=30)
    return serving


def run_dashboard(serving: Path, timeout_s: float = 60.0) -> contextlib.AbstractContextManager[str]:
    """`python -m dashboards` on a free port over the given snapshot; yield its base URL."""
    return services.dashboard({"FOOTFALL_SERVING": str(serving)}, timeout_s=timeout_s)
