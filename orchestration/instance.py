"""The Dagster instance footfall runs on: DAGSTER_HOME (FOOTFALL_DAGSTER_HOME, data/dagster)
with the repository's dagster.yaml in it (one run at a time)."""

from __future__ import annotations

import os
from pathlib import Path

from footfall import dbtcli, settings

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
    """Our environment with DAGSTER_HOME prepared, dbt's project and profiles set, and the
    hourly cycle's data-test scope (only the rows a run recomputed)."""
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(prepare_home(schedule.dagster_home))
    # dbt's project and profile, and the hourly cycle's test scope (footfall/dbtcli.py)
    for name, value in dbtcli.dbt_env(env, cycle=True).items():
        env.setdefault(name, value)
    return env
