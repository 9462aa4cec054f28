"""Fixtures of the orchestration tests: the settings of a small real pipeline in a temp dir.

Two stores (Madrid, 1 sensor; Berlin, 6 sensors, both UTC+1 in winter) loaded from the
simulator from 2024-02-04 UTC to its fixed now, 2024-03-15 00:00 UTC, and modelled from
Monday 2024-02-05 (the `footfall_start_date` var), as tests/chain.py builds its warehouses:
about 6 weeks, 7 sensors, 6,700 readings. Every path is in the temp dir (warehouse, serving
snapshot, dbt target, DAGSTER_HOME), so the tests share nothing with data/ or dbt_project/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestration import project

STORES = ("madrid", "berlin")
LOAD_START_UTC = "2024-02-04T00:00:00Z"
START_DATE = "2024-02-05"
NOW_UTC = "2024-03-15T00:00:00Z"


def pipeline_env(root: Path, api_url: str) -> dict[str, str]:
    """The FOOTFALL_* and dbt variables of a pipeline whose every file is under root."""
    return {
        "FOOTFALL_API_URL": api_url,
        "FOOTFALL_WAREHOUSE": str(root / "warehouse.duckdb"),
        "FOOTFALL_SERVING": str(root / "serving.duckdb"),
        "FOOTFALL_ALERT_STATE": str(root / "alerts_state.json"),
        "FOOTFALL_DAGSTER_HOME": str(root / "dagster"),
        "FOOTFALL_PIPELINE_LOAD_ARGS": (
            f"--stores {','.join(STORES)} --start {LOAD_START_UTC} --quiet"
        ),
        "FOOTFALL_PIPELINE_DBT_ARGS": "--vars "
        + json.dumps(json.dumps({"footfall_start_date": START_DATE})),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # No notification channel unless a test sets one.
        "FOOTFALL_ALERT_SMTP_HOST": "",
        "FOOTFALL_ALERT_EMAIL_TO": "",
        "FOOTFALL_ALERT_WEBHOOK_URL": "",
    }


@pytest.fixture(scope="session")
def parsed_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dbt target directory with the project's manifest, parsed once for the session."""
    target = tmp_path_factory.mktemp("parsed") / "target"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(target))
        mp.setenv("DBT_LOG_PATH", str(target.parent / "logs"))
        project.ensure_manifest(project.dbt_project())
    return target


@pytest.fixture
def fresh_root(tmp_path: Path, parsed_target: Path) -> Path:
    """A temp dir whose dbt target holds the session's manifest (no `dbt parse` per test)."""
    shutil.copytree(parsed_target, tmp_path / "target")
    return tmp_path
