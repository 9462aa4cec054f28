"""How footfall runs dbt: the environment in which dbt finds the project, and the two builds.

Every caller that runs dbt (the Makefile's targets through the same variables, the demo, the
orchestration, the benchmarks, the tests) takes its environment from `dbt_env()`, so the
project and profile are found the same way everywhere.

The two builds (README "dbt"):

- `FULL_BUILD_ARGS`, `dbt build`: every model, every data test over whole tables, and the unit
  tests. What a developer, CI and `make build` run.
- `CYCLE_BUILD_ARGS` with `CYCLE_ENV`, the hourly cycle's build (the Dagster schedule's): the
  same models (incremental), the data tests scoped to the rows the run changed
  (`FOOTFALL_DBT_TEST_SCOPE=changed`: macros/footfall_changes.sql), without the unit tests,
  which test the code, not the data, and run in `make test` and CI.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from footfall.settings import REPO_ROOT

PROJECT_DIR = REPO_ROOT / "dbt_project"

FULL_BUILD_ARGS = ["build"]
CYCLE_BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
# The cycle's DuckDB works in 3 GB of buffers (spilling beyond, e.g. when late data reach far
# back): an hourly cycle stays within 4 GB on a 100-store chain.
CYCLE_ENV = {"FOOTFALL_DBT_TEST_SCOPE": "changed", "FOOTFALL_DBT_MEMORY_LIMIT": "3GB"}


def with_vars(args: list[str], dbt_vars: dict[str, object] | None) -> list[str]:
    """dbt arguments with `--vars` added (as JSON) when there are any."""
    return [*args, "--vars", json.dumps(dbt_vars)] if dbt_vars else list(args)


def dbt_env(environ: dict[str, str] | None = None, *, cycle: bool = False) -> dict[str, str]:
    """DBT_PROJECT_DIR and DBT_PROFILES_DIR as the Makefile sets them, unless already set.

    With cycle=True, also the hourly cycle's test scope (CYCLE_ENV).
    """
    environ = os.environ if environ is None else environ
    cycle_env = {k: environ.get(k, v) for k, v in CYCLE_ENV.items()} if cycle else {}
    return {
        **cycle_env,
        "DBT_PROJECT_DIR": environ.get("DBT_PROJECT_DIR", str(PROJECT_DIR)),
        "DBT_PROFILES_DIR": environ.get("DBT_PROFILES_DIR", str(REPO_ROOT)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_executable() -> str:
    """The `dbt` of this virtualenv, else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
