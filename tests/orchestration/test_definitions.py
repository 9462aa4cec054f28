"""The code location: it validates from a fresh clone (no manifest yet), its graph is dbt's,
and the schedule follows its settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from footfall import settings
from orchestration.definitions import build_definitions
from orchestration.schedules import JOB_NAME, SCHEDULE_NAME
from orchestration.sensors import SENSOR_NAME
from tests.conftest import REPO_ROOT
from tests.orchestration.conftest import pipeline_env

DAGSTER = str(Path(sys.executable).with_name("dagster"))


def test_dagster_validates_the_definitions_on_a_fresh_clone(tmp_path: Path) -> None:
    """`dagster definitions validate` with a dbt target directory that does not exist yet:
    the manifest is parsed from the project on demand."""
    target = tmp_path / "target"
    env = {
        **os.environ,
        **pipeline_env(tmp_path, "http://127.0.0.1:9"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    (tmp_path / "dagster").mkdir()
    proc = subprocess.run(
        [DAGSTER, "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    assert any(key.startswith("model.footfall.") for key in manifest["nodes"])


@pytest.fixture
def defs(fresh_root: Path, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    for name, value in pipeline_env(fresh_root, "http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    return build_definitions()


def test_every_dbt_model_is_an_asset_downstream_of_the_sources_the_loader_fills(
    defs: dg.Definitions, fresh_root: Path
) -> None:
    manifest = json.loads((fresh_root / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    raw = {"simulator/stores", "simulator/sensors", "simulator/sensor_readings"}
    raw |= {"loader/load_progress"}
    assert keys == models | raw | {"serving_snapshot", "alert_notifications"}
    # The loader is one step that materialises the four sources.
    assert {
        defs.resolve_assets_def(dg.AssetKey.from_user_string(k)).node_def.name for k in raw
    } == {"raw_load"}

    def parents(name: str) -> set[str]:
        return {
            k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(name)).parent_keys
        }

    assert "simulator/sensor_readings" in parents("stg_simulator__sensor_readings")
    assert parents("stg_loader__load_progress") == {"loader/load_progress"}
    marts = {m for m in models if m.startswith(("fct_", "dim_"))}
    assert parents("serving_snapshot") == marts
    assert parents("alert_notifications") == {"serving_snapshot"}


def test_dbt_tests_are_asset_checks(defs: dg.Definitions, fresh_root: Path) -> None:
    """Every generic data test on one model or source is a check on its asset."""
    manifest = json.loads((fresh_root / "target" / "manifest.json").read_text())
    generic = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node")
    }
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert generic and generic <= checks
    assert "unique_dim_stores_store_id" in checks
    assert "source_not_null_simulator_stores_store_id" in checks


def test_the_schedule_runs_the_whole_graph_hourly_and_is_on_by_default(
    defs: dg.Definitions,
) -> None:
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == JOB_NAME
    job = defs.resolve_job_def(JOB_NAME)
    assert job.asset_layer.selected_asset_keys == set(
        defs.resolve_asset_graph().get_all_asset_keys()
    )
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_the_schedule_follows_its_settings_and_skips_while_a_run_is_in_progress(
    fresh_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in pipeline_env(fresh_root, "http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FOOTFALL_SCHEDULE_CRON", "*/5 * * * *")
    monkeypatch.setenv("FOOTFALL_SCHEDULE_ENABLED", "0")
    defs = build_definitions()
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    assert schedule.cron_schedule == "*/5 * * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    with dg.instance_for_test() as instance:
        tick = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert len(tick.run_requests or []) == 1
        instance.add_run(
            dg.DagsterRun(job_name=JOB_NAME, run_id="a" * 36, status=dg.DagsterRunStatus.STARTED)
        )
        tick = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
        assert not tick.run_requests
        assert "still started" in (tick.skip_message or "")


@pytest.mark.parametrize("cron", ["every hour", "61 * * * *"])
def test_a_bad_cron_is_refused_with_the_setting_named(
    cron: str, fresh_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in pipeline_env(fresh_root, "http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FOOTFALL_SCHEDULE_CRON", cron)
    with pytest.raises(settings.SettingError, match="FOOTFALL_SCHEDULE_CRON"):
        build_definitions()


def test_the_instance_runs_one_run_at_a_time(tmp_path: Path) -> None:
    """The dagster.yaml `make run` puts in DAGSTER_HOME: a run queue of one."""
    from orchestration import instance as footfall_instance

    home = footfall_instance.prepare_home(tmp_path / "dagster")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_coordinator.__class__.__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_runs_a_stopped_make_run_left_behind_are_canceled(tmp_path: Path) -> None:
    """A run whose worker ended with `make run` is canceled; a live `--once` run is kept."""
    from orchestration import instance as footfall_instance
    from orchestration.schedules import ONCE_PID_TAG, end_orphaned_runs, runs_in_progress

    home = footfall_instance.prepare_home(tmp_path / "dagster")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        orphan = dg.DagsterRun(
            job_name=JOB_NAME, run_id="b" * 36, status=dg.DagsterRunStatus.STARTED
        )
        once = dg.DagsterRun(
            job_name=JOB_NAME,
            run_id="c" * 36,
            status=dg.DagsterRunStatus.STARTED,
            tags={ONCE_PID_TAG: str(os.getpid())},
        )
        instance.add_run(orphan)
        instance.add_run(once)
        assert end_orphaned_runs(instance, "make run was stopped") == [orphan.run_id]
        assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.CANCELED
        assert [r.run_id for r in runs_in_progress(instance)] == [once.run_id]
