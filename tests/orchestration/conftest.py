"""Fixtures of the orchestration tests: the settings of a small real pipeline in a temp dir.

Two stores (Madrid, 1 sensor; Berlin, 6 sensors, both UTC+1 in winter) loaded from the
simulator from 2024-02-04 UTC to its fixed now, 2024-03-15 00:00 UTC, and modelled from
Monday 2024-02-05 (the `footfall_start_date` var), as tests/chain.py builds its warehouses:
about 6 weeks, 7 sensors, 6,700 readings. Every path is in the temp dir (warehouse, serving
snapshot, dbt target, DAGSTER_HOME), so the tests share nothing with data/ or dbt_project/.
"""

from __future__ import annotations

import json
from pathlib import Path

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
