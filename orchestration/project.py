"""The dbt project as Dagster sees it: where it is, and its manifest, parsed on demand.

The manifest (`manifest.json` in dbt's target directory) is what `@dbt_assets` reads to turn
every model into an asset and every test into an asset check. It is generated, never
committed: on a fresh clone there is none, and after an edit of the project it is stale, so
`ensure_manifest()` runs `dbt parse` when it is missing or older than a file of the project
(about 5 s the first time, 2-3 s with dbt's partial parsing).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from footfall import settings

# What dbt parses: a change in any of these makes the manifest stale.
PROJECT_PARTS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")


def project_dir() -> Path:
    """The dbt project: DBT_PROJECT_DIR (as the Makefile sets it), else dbt_project/."""
    raw = os.environ.get("DBT_PROJECT_DIR")
    path = Path(raw) if raw else settings.REPO_ROOT / "dbt_project"
    return path if path.is_absolute() else settings.REPO_ROOT / path


def profiles_dir() -> Path:
    """Where profiles.yml is: DBT_PROFILES_DIR, else the repository root."""
    raw = os.environ.get("DBT_PROFILES_DIR")
    path = Path(raw) if raw else settings.REPO_ROOT
    return path if path.is_absolute() else settings.REPO_ROOT / path


def dbt_project() -> DbtProject:
    """The footfall dbt project, its artifacts in the target directory `make build` uses
    (DBT_TARGET_PATH, default dbt_project/target), where the publisher reads the results."""
    return DbtProject(
        project_dir=project_dir(),
        target_path=settings.dashboard().dbt_target_dir,
        profiles_dir=profiles_dir(),
    )


def dbt_executable() -> str:
    """dbt of this virtualenv (pytest and `dagster dev` may run without it on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """The `dbt` resource of the assets: dbt of this virtualenv on the footfall project."""
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def _newest_source_mtime(project: DbtProject) -> float:
    newest = (project.project_dir / "dbt_project.yml").stat().st_mtime
    for part in PROJECT_PARTS:
        root = project.project_dir / part
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file():
                    newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_fresh(project: DbtProject) -> bool:
    """True when manifest.json exists and no file of the project is newer."""
    manifest = project.manifest_path
    return manifest.is_file() and manifest.stat().st_mtime >= _newest_source_mtime(project)


def ensure_manifest(project: DbtProject) -> Path:
    """The path of a manifest that matches the project, running `dbt parse` if needed."""
    if not manifest_is_fresh(project):
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        dbt_resource(project).cli(
            ["parse", "--quiet"], target_path=project.manifest_path.parent
        ).wait()
    return project.manifest_path
