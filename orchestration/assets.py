"""The asset graph: raw tables -> every dbt model (tests as checks) -> serving snapshot -> alerts.

- `raw_load`: one run of the loader (`loaders.load.run_load`, what `python -m loaders` runs)
  fills four dbt sources at once, so it is one multi-asset whose keys are those sources
  (`simulator/stores`, `simulator/sensors`, `simulator/sensor_readings`,
  `loader/load_progress`): dbt's staging models depend on them through dagster-dbt's lineage.
  It is not partitioned per store: the loader is incremental on its own (a watermark per
  store) and reads every store in one pass with its workers; a run per store would be N
  writers queueing for DuckDB's single write lock every hour. It retries with exponential
  backoff when the API fails (unreachable, or failing every try of the loader's own retries)
  or the warehouse is locked; any other error fails at once.
- `footfall_dbt`: every dbt model an asset, every dbt test an asset check (data tests on the
  sources too), from the project's manifest; one `dbt build` runs them.
- `serving_snapshot`: `footfall.publish.publish()`, downstream of every mart.
- `alert_notifications`: `python -m footfall.alerts` on the new snapshot (exit 1, an open
  critical alert, is a finding, not a failure).
"""

import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from footfall import dbtcli, settings
from footfall.publish import PublishError, publish
from loaders.cli import build_parser, options_from_args
from loaders.errors import ApiError, ApiUnreachable, LoaderError, TransientError, WarehouseLocked
from loaders.load import Reporter, RunResult, run_load

# The dbt sources the loader fills (schema raw), keyed by their source and table names, which
# is how dagster-dbt names a source's asset.
RAW_SOURCES = {
    ("simulator", "stores"): "raw.stores: the stores, as the API describes them",
    ("simulator", "sensors"): "raw.sensors: the door sensors of each store",
    ("simulator", "sensor_readings"): "raw.sensor_readings: one row per sensor and UTC hour",
    ("loader", "load_progress"): "raw.load_progress: which hours of each store were read",
}
RETRYABLE = (ApiUnreachable, ApiError, WarehouseLocked)
MARTS_GROUP = "marts"


def load_retry_policy(schedule: settings.ScheduleSettings) -> dg.RetryPolicy:
    """Retries of the loader step: FOOTFALL_SCHEDULE_LOAD_RETRIES, doubling from the delay."""
    return dg.RetryPolicy(
        max_retries=schedule.load_retries,
        delay=schedule.load_retry_delay_s,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


class LogReporter(Reporter):
    """The loader's progress in the Dagster run log: one line per retried request."""

    def __init__(self, log: Any) -> None:
        self.log = log

    def planned(self, result: RunResult, n_readings: int, sensors: dict[str, int]) -> None:
        self.log.info(
            f"load {result.load_id}: {n_readings:,} readings to read for "
            f"{len(sensors)} store(s) ({result.mode})"
        )

    def retry(self, what: str, attempt: int, error: TransientError, wait_s: float) -> None:
        self.log.warning(f"retry {what}: try {attempt} failed ({error}); again in {wait_s:.2f} s")


def _store_counts(result: RunResult) -> dict[str, int]:
    return {store: counts.n_rows for store, counts in sorted(result.per_store.items())}


def build_raw_load(schedule: settings.ScheduleSettings) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            dg.AssetKey([source, table]),
            description=description,
            group_name="raw",
            kinds={"python", "duckdb"},
        )
        for (source, table), description in RAW_SOURCES.items()
    ]

    @dg.multi_asset(
        name="raw_load",
        specs=specs,
        retry_policy=load_retry_policy(schedule),
        description="`python -m loaders`: what is new in the sensor API into raw.*",
    )
    def raw_load(context: AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        argv = shlex.split(settings.schedule().load_args)
        try:
            options = options_from_args(build_parser().parse_args(argv))
        except SystemExit:
            raise dg.Failure(
                f"FOOTFALL_PIPELINE_LOAD_ARGS={' '.join(argv)!r} are not options of "
                "`python -m loaders` (see `python -m loaders --help`)",
                allow_retries=False,
            ) from None
        except (LoaderError, settings.SettingError) as exc:
            raise dg.Failure(f"the loader's options: {exc}", allow_retries=False) from exc
        try:
            result = run_load(options, LogReporter(context.log))
        except RETRYABLE as exc:
            # A plain error: the retry policy runs the step again, with backoff.
            raise RuntimeError(
                f"the loader failed ({type(exc).__name__}, exit {exc.exit_code}): {exc}"
            ) from exc
        except LoaderError as exc:
            raise dg.Failure(
                f"the loader failed (exit {exc.exit_code}): {exc}", allow_retries=False
            ) from exc
        total = result.total()
        context.log.info(
            f"load {result.load_id}: {total.n_rows:,} readings ({total.n_new_rows:,} new, "
            f"{total.n_changed_rows:,} changed, {total.n_rejects:,} rejects) in "
            f"{result.duration_s:.1f} s"
        )
        metadata: Mapping[str, Any] = {
            "load_id": result.load_id,
            "mode": result.mode,
            "window_start_utc": str(result.window_start or ""),
            "window_end_utc": str(result.window_end or ""),
            "n_readings": total.n_rows,
            "n_new": total.n_new_rows,
            "n_changed": total.n_changed_rows,
            "n_rejects": total.n_rejects,
            "n_retried_requests": result.n_retries,
            "readings_per_store": _store_counts(result),
            "duration_s": round(result.duration_s, 2),
            "warehouse": dg.MetadataValue.path(str(options.warehouse)),
        }
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)

    return raw_load


class FootfallTranslator(DagsterDbtTranslator):
    """dbt's layers (staging, intermediate, marts) as the asset groups."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return str(fqn[1])
        return super().get_group_name(dbt_resource_props)


def translator() -> FootfallTranslator:
    return FootfallTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_asset_checks=True, enable_source_tests_as_checks=True
        )
    )


def build_dbt_assets(project: DbtProject, manifest: Path) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        project=project,
        name="footfall_dbt",
        dagster_dbt_translator=translator(),
    )
    def footfall_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        """The hourly cycle's `dbt build` of the selected models and their data tests, no unit
        tests (footfall/dbtcli.py; FOOTFALL_PIPELINE_DBT_ARGS added), its artifacts in the
        target directory the publisher reads."""
        args = [*dbtcli.CYCLE_BUILD_ARGS, *shlex.split(settings.schedule().dbt_args)]
        yield from dbt.cli(args, context=context, target_path=project.manifest_path.parent).stream()

    return footfall_dbt


def mart_keys(dbt_defs: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The asset keys of the dbt marts (models under models/marts/)."""
    return sorted(
        (key for key in dbt_defs.keys if dbt_defs.group_names_by_key.get(key) == MARTS_GROUP),
        key=lambda k: k.to_user_string(),
    )


def build_serving_snapshot(project: DbtProject, marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        name="serving_snapshot",
        deps=marts,
        group_name="serving",
        kinds={"python", "duckdb"},
        description="`python -m footfall.publish`: the marts copied into the dashboard's "
        "serving snapshot (FOOTFALL_SERVING), swapped in atomically",
    )
    def serving_snapshot(context: AssetExecutionContext) -> dg.MaterializeResult:
        try:
            summary = publish(target_dir=project.manifest_path.parent)
        except (PublishError, settings.SettingError) as exc:
            raise dg.Failure(f"publish failed: {exc}", allow_retries=False) from exc
        facts = summary.tables
        context.log.info(
            f"published {summary.serving} in {summary.duration_s:.1f} s: {len(facts)} marts, "
            f"{summary.n_tests} dbt test results from {summary.tests_from}"
        )
        return dg.MaterializeResult(
            metadata={
                "serving": dg.MetadataValue.path(str(summary.serving)),
                "rows_per_table": dict(sorted(facts.items())),
                "n_dbt_tests": summary.n_tests,
                "duration_s": round(summary.duration_s, 2),
            }
        )

    return serving_snapshot


def build_alert_notifications() -> dg.AssetsDefinition:
    @dg.asset(
        name="alert_notifications",
        deps=["serving_snapshot"],
        group_name="serving",
        kinds={"python"},
        description="`python -m footfall.alerts`: the open alerts of the new snapshot, each "
        "new episode sent once by email and webhook (FOOTFALL_ALERT_*)",
    )
    def alert_notifications(context: AssetExecutionContext) -> dg.MaterializeResult:
        proc = subprocess.run(
            [sys.executable, "-m", "footfall.alerts"],
            cwd=settings.REPO_ROOT,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        output = (proc.stdout + proc.stderr).rstrip()
        if proc.returncode not in (0, 1):
            raise dg.Failure(
                f"`python -m footfall.alerts` failed (exit {proc.returncode}):\n{output}",
                allow_retries=False,
            )
        context.log.info(f"python -m footfall.alerts (exit {proc.returncode}):\n{output}")
        summary = next((line for line in output.splitlines() if "open alert(s)" in line), "")
        return dg.MaterializeResult(
            metadata={
                "summary": summary,
                "has_open_critical": proc.returncode == 1,
                "output": dg.MetadataValue.md(f"```\n{output}\n```"),
            }
        )

    return alert_notifications
