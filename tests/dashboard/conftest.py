"""Fixtures of the dashboard tests: the small real warehouse published as a serving snapshot,
and the dashboard served by `python -m dashboards` on a free port."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
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
    "views/alerts.py": "alerts",
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


@pytest.fixture(scope="session")
def fleet100(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100-store snapshot grown from the published small one (tests/dashboard/fleet.py)."""
    from tests.dashboard.fleet import grow

    return grow(published, tmp_path_factory.mktemp("fleet100") / "serving.duckdb")


@pytest.fixture(scope="session")
def marts(small_warehouse) -> dict[str, pd.DataFrame]:
    """The small warehouse's marts as pandas frames (read them, never change them)."""
    with small_warehouse.connect() as con:
        return {
            name: con.execute(f"select * from {name}").df()
            for name in (
                "fct_store_traffic_hourly",
                "fct_store_traffic_daily",
                "fct_sensor_traffic_daily",
                "fct_sensor_traffic_hourly",
                "dim_sensors",
            )
        }
