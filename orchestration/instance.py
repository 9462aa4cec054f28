"""The Dagster instance footfall runs on: DAGSTER_HOME (FOOTFALL_DAGSTER_HOME, data/dagster)
with the repository's dagster.yaml in it (one run at a time)."""

from __future__ import annotations

import os
from pathlib import Path

from footfall import settings

INSTANCE_YAML = Path(__file__).with_name("dagster.yaml")


def prepare_home(home: Path) -> Path:
    """Create DAGSTER_HOME and put the repository's dagster.yaml in it; return the home."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    wanted = INSTANCE_YAML.read_text()
    if not target.exists() or target.read_text() != wanted:
        target.write_text(wanted)
    return home


def environment(schedule: settings.ScheduleSettings) -> dict[str, str]:
    """Our environment with DAGSTER_HOME prepared and dbt's project and profiles set."""
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(prepare_home(schedule.dagster_home))
    env.setdefault("DBT_PROJECT_DIR", str(settings.REPO_ROOT / "dbt_project"))
    env.setdefault("DBT_PROFILES_DIR", str(settings.REPO_ROOT))
    return env
