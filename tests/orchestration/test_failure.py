"""A load that keeps failing: retried with backoff, the run fails, the failure is reported once.

The real simulator answers every API request with 503 (FOOTFALL_SIM_FAULT_5XX=1) and the
loader gives up after one try (FOOTFALL_LOADER_MAX_ATTEMPTS=1), so each attempt of the loader
step fails with an API error; Dagster retries the step FOOTFALL_SCHEDULE_LOAD_RETRIES times.
The run-failure sensor is then evaluated as the daemon does, tick after tick with its cursor,
and posts to a real HTTP receiver: once for the failed run, never again.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from footfall import settings
from orchestration import instance as footfall_instance
from orchestration.definitions import build_definitions
from orchestration.schedules import JOB_NAME
from orchestration.sensors import RULE, SENSOR_NAME
from tests.alerts.receivers import webhook_receiver
from tests.conftest import run_simulator
from tests.orchestration.conftest import NOW_UTC, pipeline_env

RETRIES = 2


def test_a_failing_load_is_retried_then_reported_once(fresh_root, monkeypatch) -> None:
    tmp_path = fresh_root
    sim_env = {"FOOTFALL_SIM_NOW": NOW_UTC, "FOOTFALL_SIM_FAULT_5XX": "1"}
    with run_simulator(sim_env) as api_url, webhook_receiver() as hook:
        env = {
            **pipeline_env(tmp_path, api_url),
            "FOOTFALL_LOADER_MAX_ATTEMPTS": "1",
            "FOOTFALL_SCHEDULE_LOAD_RETRIES": str(RETRIES),
            "FOOTFALL_SCHEDULE_LOAD_RETRY_DELAY_S": "0.2",
            "FOOTFALL_ALERT_WEBHOOK_URL": hook.url,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        home = footfall_instance.prepare_home(settings.schedule().dagster_home)
        defs = build_definitions()
        sensor = defs.resolve_sensor_def(SENSOR_NAME)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            # The sensor's first tick sets its cursor (the daemon does it when it starts).
            first = sensor.evaluate_tick(
                dg.build_sensor_context(instance=instance, definitions=defs)
            )
            result = defs.resolve_job_def(JOB_NAME).execute_in_process(
                instance=instance, raise_on_error=False
            )
            assert hook.bodies == []  # the run itself sends nothing
            report = sensor.evaluate_tick(
                dg.build_sensor_context(instance=instance, cursor=first.cursor, definitions=defs)
            )
            again = sensor.evaluate_tick(
                dg.build_sensor_context(instance=instance, cursor=report.cursor, definitions=defs)
            )
            assert again.cursor is not None

    assert not result.success
    kinds = [(e.event_type, e.step_key) for e in result.all_events]
    retried = [k for k in kinds if k == (dg.DagsterEventType.STEP_UP_FOR_RETRY, "raw_load")]
    assert len(retried) == RETRIES
    assert kinds.count((dg.DagsterEventType.STEP_FAILURE, "raw_load")) == 1
    # Nothing downstream of the load ran.
    materialized = [k for k in kinds if k[0] == dg.DagsterEventType.ASSET_MATERIALIZATION]
    assert materialized == []
    # Each attempt was a real load run, recorded by the loader as failed on the API's 503.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        runs = con.execute("select status, error from raw.load_runs order by started_at").fetchall()
    assert [status for status, _ in runs] == ["failed"] * (RETRIES + 1), runs
    assert all("503" in (error or "") for _, error in runs), runs

    # Reported once, through the webhook channel, as a critical alert naming the run.
    assert len(hook.bodies) == 1, hook.bodies
    (body,) = hook.bodies
    (alert,) = body["alerts"]
    assert body["source"] == "footfall"
    assert alert["rule"] == RULE and alert["severity"] == "critical"
    assert alert["alert_id"] == f"{RULE}:{result.run_id}"
    assert "raw_load" in alert["message"] and result.run_id in alert["message"]
    assert "503" in alert["message"] or "API" in alert["message"], alert["message"]
    assert f"[CRITICAL] {RULE} on {JOB_NAME}" in body["text"]


@pytest.mark.parametrize("bad", ["-q --no-such-option"])
def test_bad_loader_arguments_fail_at_once_without_retries(fresh_root, monkeypatch, bad) -> None:
    tmp_path = fresh_root
    """A mistake in FOOTFALL_PIPELINE_LOAD_ARGS is not worth retrying: the step fails once."""
    env = {
        **pipeline_env(tmp_path, "http://127.0.0.1:9"),
        "FOOTFALL_PIPELINE_LOAD_ARGS": bad,
        "FOOTFALL_SCHEDULE_LOAD_RETRIES": "3",
        "FOOTFALL_SCHEDULE_LOAD_RETRY_DELAY_S": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    defs = build_definitions()
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    kinds = [(e.event_type, e.step_key) for e in result.all_events]
    assert (dg.DagsterEventType.STEP_UP_FOR_RETRY, "raw_load") not in kinds
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "FOOTFALL_PIPELINE_LOAD_ARGS" in (failure.step_failure_data.error.message or "")
