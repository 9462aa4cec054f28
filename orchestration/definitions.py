"""The Dagster code location of footfall: assets, resources, the schedule and the sensor.

`dagster dev -m orchestration.definitions` (what `make run` starts) and
`dagster definitions validate -m orchestration.definitions` load it. Nothing happens at
import: the definitions are built when Dagster asks for them (`@dg.definitions`), reading the
settings then and parsing the dbt project if its manifest is missing or stale.
"""

from __future__ import annotations

import dagster as dg

from footfall import settings
from orchestration import assets, project, schedules, sensors


def build_definitions() -> dg.Definitions:
    """Every definition of footfall, from the settings and the dbt project as they are now."""
    schedule = settings.schedule()
    dbt_project = project.dbt_project()
    manifest = project.ensure_manifest(dbt_project)
    dbt_defs = assets.build_dbt_assets(dbt_project, manifest)
    job = schedules.pipeline_job()
    return dg.Definitions(
        assets=[
            assets.build_raw_load(schedule),
            dbt_defs,
            assets.build_serving_snapshot(dbt_project, assets.mart_keys(dbt_defs)),
            assets.build_alert_notifications(),
        ],
        resources={"dbt": project.dbt_resource(dbt_project)},
        jobs=[job],
        schedules=[schedules.build_schedule(job, schedule)],
        sensors=[sensors.footfall_run_failure],
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
