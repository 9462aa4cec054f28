"""The job that runs the whole graph, and its schedule (FOOTFALL_SCHEDULE_CRON, on by default).

One run at a time: the instance's run queue admits one run (dagster.yaml,
`max_concurrent_runs: 1`), and the schedule skips a tick while a run of the job is queued or
in progress, so runs never pile up behind a slow one. Inside a run the steps run one after the
other in one process (DuckDB has one writer).
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._utils.schedules import is_valid_cron_string

from footfall import settings

JOB_NAME = "footfall_pipeline"
SCHEDULE_NAME = "footfall_hourly"
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def pipeline_job() -> UnresolvedAssetJobDefinition:
    """Every asset and check: load, dbt build, publish, alerts."""
    return dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,
        description="The whole footfall pipeline: load, dbt build (models and tests), publish "
        "the serving snapshot, send the alerts.",
    )


def runs_in_progress(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """The job's runs that are queued or running."""
    return list(
        instance.get_runs(filters=dg.RunsFilter(job_name=JOB_NAME, statuses=IN_PROGRESS), limit=5)
    )


ONCE_PID_TAG = "footfall/once_pid"


def end_orphaned_runs(instance: dg.DagsterInstance, why: str) -> list[str]:
    """Mark the job's runs left queued or in progress by a `make run` that has ended as
    canceled (their worker was one of its processes), so that the schedule and `--once` do
    not wait for them forever; a `--once` run whose process is alive is left alone."""
    from orchestration.cli import alive

    ended: list[str] = []
    for run in runs_in_progress(instance):
        pid = run.tags.get(ONCE_PID_TAG)
        if pid and pid.isdigit() and alive(int(pid)):
            continue
        instance.report_run_canceled(run, message=f"{why}: the run did not finish")
        ended.append(run.run_id)
    return ended


def build_schedule(
    job: UnresolvedAssetJobDefinition, schedule: settings.ScheduleSettings
) -> dg.ScheduleDefinition:
    if not is_valid_cron_string(schedule.cron):
        raise settings.SettingError(
            f"FOOTFALL_SCHEDULE_CRON={schedule.cron!r} is not a valid cron expression "
            "(e.g. '0 * * * *': every hour at minute 0, UTC)."
        )

    @dg.schedule(
        name=SCHEDULE_NAME,
        job=job,
        cron_schedule=schedule.cron,
        execution_timezone="UTC",
        default_status=(
            dg.DefaultScheduleStatus.RUNNING
            if schedule.enabled
            else dg.DefaultScheduleStatus.STOPPED
        ),
        description=f"The whole graph at `{schedule.cron}` (UTC; FOOTFALL_SCHEDULE_CRON), "
        "skipped while a run is still queued or in progress.",
    )
    def footfall_hourly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = runs_in_progress(context.instance)
        if busy:
            return dg.SkipReason(
                f"run {busy[0].run_id} of {JOB_NAME} is still {busy[0].status.value.lower()}"
            )
        return dg.RunRequest()

    return footfall_hourly
