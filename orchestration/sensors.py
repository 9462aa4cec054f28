"""A failed run, reported once through footfall's alert channels (email, webhook).

A run-failure sensor: Dagster's daemon evaluates it every 30 s and hands it each run that
failed since its cursor, so every failure is seen once, including the failures of runs
that ended while the daemon was down. The report is a critical `pipeline_run_failed` alert
on the configured channels (FOOTFALL_ALERT_SMTP_* / _EMAIL_TO, FOOTFALL_ALERT_WEBHOOK_URL),
sent at once: the alert state file of `make alerts` is not involved (the cursor already makes
it once per failure). A channel that cannot deliver is logged in the sensor's tick; the
failure is not sent again.
"""

import datetime as dt
import logging

import dagster as dg

from footfall import settings
from footfall.alerts.channels import DeliveryError, configured_channels
from footfall.alerts.model import Alert

SENSOR_NAME = "footfall_run_failure"
RULE = "pipeline_run_failed"
LOG = logging.getLogger("orchestration.sensors")


def _utc(timestamp: float | None) -> dt.datetime:
    moment = (
        dt.datetime.now(dt.UTC)
        if timestamp is None
        else dt.datetime.fromtimestamp(timestamp, dt.UTC)
    )
    return moment.replace(tzinfo=None, microsecond=0)


def step_errors(run_id: str, instance: dg.DagsterInstance) -> dict[str, str]:
    """The error of each failed step of a run, the user code's own rather than Dagster's
    wrappers around it (retries exceeded, step execution error): `RuntimeError: the loader
    failed ...`."""
    errors: dict[str, str] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        data = event.step_failure_data if event is not None else None
        error = data.error if data is not None else None
        while (
            error is not None
            and error.cause is not None
            and (
                error.cls_name.startswith("Dagster") or error.cls_name == "RetryRequestedFromPolicy"
            )
        ):
            error = error.cause
        if entry.step_key and error is not None:
            errors[entry.step_key] = error.message.strip()
    return errors


def failure_alert(run: dg.DagsterRun, instance: dg.DagsterInstance, error: str) -> Alert:
    """The failed run as a critical alert: which job, which step and its error, where the
    logs are (the run's own failure message when no step failed)."""
    record = instance.get_run_record_by_id(run.run_id)
    started = record.start_time if record is not None else None
    failed = step_errors(run.run_id, instance)
    if failed:
        what = "; ".join(f"step {step}: {message[:700]}" for step, message in failed.items())
    else:
        what = error.strip()[:1500]
    ui = settings.schedule().ui_url
    return Alert(
        alert_id=f"{RULE}:{run.run_id}",
        rule=RULE,
        severity="critical",
        store_id=run.job_name,
        sensor_id=None,
        opened_at_utc=_utc(started),
        last_seen_utc=_utc(None),
        resolved_at_utc=None,
        measured_value=None,
        threshold=None,
        message=(
            f"run {run.run_id} of {run.job_name} failed at {what} (logs: {ui}/runs/{run.run_id})"
        ),
    )


def report_failure(
    run: dg.DagsterRun,
    instance: dg.DagsterInstance,
    error: str,
    log: logging.Logger | logging.LoggerAdapter = LOG,
) -> list[str]:
    """Send the failed run on every configured channel; return the channels that delivered."""
    alert = failure_alert(run, instance, error)
    delivered: list[str] = []
    channels = configured_channels(settings.alerts())
    if not channels:
        log.warning("run %s failed; no alert channel is configured (FOOTFALL_ALERT_*)", run.run_id)
    for channel in channels:
        try:
            channel.send([alert])
        except DeliveryError as exc:
            log.error("run %s failed and could not be reported: %s", run.run_id, exc)
            continue
        delivered.append(channel.name)
    return delivered


@dg.run_failure_sensor(
    name=SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reports each failed run once by email and webhook (FOOTFALL_ALERT_*).",
)
def footfall_run_failure(context: dg.RunFailureSensorContext) -> None:
    error = context.failure_event.message or "the run failed"
    delivered = report_failure(context.dagster_run, context.instance, error, context.log)
    context.log.info(
        f"run {context.dagster_run.run_id} failed; reported by {', '.join(delivered) or 'nothing'}"
    )
