"""How footfall runs dbt: the environment in which dbt finds the project, and the two builds.

Every caller that runs dbt (the Makefile's targets through the same variables, the demo, the
orchestration, the benchmarks, the tests) takes its environment from `dbt_env()`, so the
project and profile are found the same way everywhere.

The two builds (README "dbt"):

- `FULL_BUILD_ARGS`, `dbt build`: every model, every data test over whole tables, and the unit
  tests. What a developer, CI and `make build` run.
- `CYCLE_BUILD_ARGS`, the hourly cycle's build: the same models (incremental), the data tests
  scoped to the rows the run changed (var `footfall_test_scope: changed`, macro
  `get_where_subquery`), without the unit tests, which test the code, not the data, and run in
  `make test` and CI.
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
CYCLE_VARS = {"footfall_test_scope": "changed"}


def cycle_build_args(extra_vars: dict[str, object] | None = None) -> list[str]:
    """`dbt build` as the hourly cycle runs it, with extra vars merged into the scope var."""
    merged = {**CYCLE_VARS, **(extra_vars or {})}
    return ["build", "--exclude", "test_type:unit", "--vars", json.dumps(merged)]


CYCLE_BUILD_ARGS = cycle_build_args()


def dbt_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """DBT_PROJECT_DIR and DBT_PROFILES_DIR as the Makefile sets them, unless already set."""
    environ = os.environ if environ is None else environ
    return {
        "DBT_PROJECT_DIR": environ.get("DBT_PROJECT_DIR", str(PROJECT_DIR)),
        "DBT_PROFILES_DIR": environ.get("DBT_PROFILES_DIR", str(REPO_ROOT)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_executable() -> str:
    """The `dbt` of this virtualenv, else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
