"""The asset graph materialised in-process against the real simulator, then served by `make run`.

One run of the `footfall_pipeline` job (every asset and check) on a small window, recorded in
a Dagster instance in the temp dir: the marts must hold what the simulator generated, the
serving snapshot what the marts hold. Then `python -m orchestration` serves that instance: its
UI answers and draws the asset graph in Chromium (the screenshot is docs/images/dagster.png),
and Ctrl-C stops every process it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest

from footfall import services, settings
from orchestration import instance as footfall_instance
from orchestration.cli import alive, descendants
from orchestration.definitions import build_definitions
from orchestration.schedules import JOB_NAME
from simulator import model
from tests.conftest import REPO_ROOT, free_port, run_simulator
from tests.orchestration.conftest import NOW_UTC, START_DATE, STORES, pipeline_env

SCREENSHOT = REPO_ROOT / "docs" / "images" / "dagster.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-component-update"]


@dataclass
class PipelineRun:
    root: Path
    api_url: str
    success: bool
    run_id: str
    graph_keys: set[str]
    check_keys: set[str]
    materialized: set[str]
    checks: dict[str, bool]
    failures: list[str]

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving.duckdb"


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory, parsed_target: Path
) -> Iterator[PipelineRun]:
    root = tmp_path_factory.mktemp("pipeline")
    shutil.copytree(parsed_target, root / "target")
    with (
        run_simulator({"FOOTFALL_SIM_NOW": NOW_UTC}) as api_url,
        pytest.MonkeyPatch.context() as mp,
    ):
        for name, value in pipeline_env(root, api_url).items():
            mp.setenv(name, value)
        home = footfall_instance.prepare_home(settings.schedule().dagster_home)
        defs = build_definitions()
        graph = defs.get_repository_def().asset_graph
        with dg.DagsterInstance.from_config(str(home)) as instance:
            result = defs.resolve_job_def(JOB_NAME).execute_in_process(
                instance=instance, raise_on_error=False
            )
        checks = {
            f"{e.asset_check_evaluation_data.asset_key.to_user_string()}:"
            f"{e.asset_check_evaluation_data.check_name}": e.asset_check_evaluation_data.passed
            for e in result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        }
        yield PipelineRun(
            root=root,
            api_url=api_url,
            success=result.success,
            run_id=result.run_id,
            graph_keys={k.to_user_string() for k in graph.get_all_asset_keys()},
            check_keys={f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys},
            materialized={
                e.asset_key.to_user_string()
                for e in result.all_events
                if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and e.asset_key
            },
            checks=checks,
            failures=[
                e.message or ""
                for e in result.all_events
                if e.event_type == dg.DagsterEventType.STEP_FAILURE
            ],
        )


def test_the_whole_graph_materialises_and_every_check_passes(pipeline: PipelineRun) -> None:
    assert pipeline.success, pipeline.failures
    assert pipeline.materialized == pipeline.graph_keys
    assert {"serving_snapshot", "alert_notifications", "simulator/sensor_readings"} <= (
        pipeline.materialized
    )
    assert set(pipeline.checks) == pipeline.check_keys
    assert all(pipeline.checks.values()), [k for k, ok in pipeline.checks.items() if not ok]


def _local_days(timezone_name: str) -> list[str]:
    """Every local date from START_DATE to the one holding the last hour before now."""
    from zoneinfo import ZoneInfo

    now = datetime.fromisoformat(NOW_UTC)
    last = (now - timedelta(hours=1)).astimezone(ZoneInfo(timezone_name)).date()
    first = datetime.fromisoformat(START_DATE).date()
    return [str(first + timedelta(days=i)) for i in range((last - first).days + 1)]


def test_the_marts_hold_what_the_simulator_generated(pipeline: PipelineRun) -> None:
    """Per store: one row per local day of the window, and the raw visits of those days are
    the simulator's own non-negative readings (generated here in-process, without HTTP)."""
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as con:
        for store_id in STORES:
            (timezone_name,) = con.execute(
                "select timezone from dim_stores where store_id = ?", [store_id]
            ).fetchone()
            days, visits_raw = con.execute(
                "select list(local_date::varchar order by local_date), sum(visits_raw) "
                "from fct_store_traffic_daily where store_id = ?",
                [store_id],
            ).fetchone()
            assert days == _local_days(timezone_name), store_id
            # Madrid and Berlin are UTC+1 until 31 March: START_DATE starts at 23:00 UTC before.
            first_utc = datetime.fromisoformat(START_DATE).replace(tzinfo=UTC) - timedelta(hours=1)
            readings = model.generate(store_id, first_utc, datetime.fromisoformat(NOW_UTC))
            assert visits_raw == int(np.clip(readings["visits"], 0, None).sum()), store_id
            (n_sensors,) = con.execute(
                "select count(*) from dim_sensors where store_id = ?", [store_id]
            ).fetchone()
            assert n_sensors == len(np.unique(readings["sensor_id"]))


def test_the_serving_snapshot_holds_the_marts(pipeline: PipelineRun) -> None:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as wh:
        marts = [
            name
            for (name,) in wh.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and (table_name like 'fct%' or table_name like 'dim%') order by 1"
            ).fetchall()
        ]
        counts = {t: wh.execute(f"select count(*) from {t}").fetchone()[0] for t in marts}
        totals = wh.execute(
            "select store_id, sum(visits_clean) from fct_store_traffic_daily group by 1 order by 1"
        ).fetchall()
    assert {"fct_store_traffic_daily", "fct_alerts", "dim_sensors"} <= set(marts)
    with duckdb.connect(str(pipeline.serving), read_only=True) as sv:
        assert {t: sv.execute(f"select count(*) from {t}").fetchone()[0] for t in marts} == counts
        assert (
            sv.execute(
                "select store_id, sum(visits_clean) from fct_store_traffic_daily "
                "group by 1 order by 1"
            ).fetchall()
            == totals
        )
        # The publisher read this run's dbt results: every test of the build, none failing.
        statuses = dict(
            sv.execute("select status, count(*) from serving_dbt_tests group by 1").fetchall()
        )
    assert set(statuses) == {"pass"} and statuses["pass"] > 30, statuses


# --------------------------------------------------------------------------------------------
# `make run`: the UI on the same instance, in Chromium, and Ctrl-C
# --------------------------------------------------------------------------------------------
def test_make_run_serves_the_asset_graph_and_stops_on_ctrl_c(pipeline: PipelineRun) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **pipeline_env(pipeline.root, pipeline.api_url),
        "FOOTFALL_DAGSTER_PORT": str(port),
        "FOOTFALL_SCHEDULE_ENABLED": "0",  # no tick of our own while the test looks
    }
    log = pipeline.root / "make-run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C sees it
        )
    try:
        deadline = time.monotonic() + 120
        while "footfall on Dagster is up" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert f"the UI at {url}" in log.read_text()
        assert services.answers(f"{url}/server_info")
        started = descendants(proc.pid)
        assert len(started) >= 3, started  # dagster dev, its webserver, daemon, code server

        chromium = settings.dashboard().chromium
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1800, "height": 1000})
            page.goto(f"{url}/asset-groups", wait_until="networkidle", timeout=60_000)
            for group in ("raw", "staging", "intermediate", "marts", "serving"):
                page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
            # The global lineage draws each group collapsed; its settings menu expands them.
            page.get_by_role("button", name="settings", exact=True).click()
            page.get_by_role("menuitem", name="Expand all groups").click(force=True)
            page.keyboard.press("Escape")
            # Drawn again, the graph fits the expanded groups (the UI keeps them expanded);
            # it draws only the nodes in view, and the raw group sits just above: one step out.
            page.reload(wait_until="networkidle")
            page.get_by_text("fct_alerts", exact=True).first.wait_for(timeout=30_000)
            page.get_by_role("button", name="zoom_out", exact=True).click()
            nodes = page.locator("[class*='assetNodeContainer']")
            expect(nodes).to_have_count(len(pipeline.graph_keys), timeout=30_000)
            names = page.locator("[class*='assetName']")
            expect(names.filter(has_text="serving_snapshot")).to_have_count(1)
            # Every asset is drawn as materialised (green) once its status has loaded: the UI
            # shows the run of the fixture.
            page.wait_for_function(
                """n => {
                    const boxes = [...document.querySelectorAll("[class*='minimalAssetNodeBox']")];
                    return boxes.length === n
                        && boxes.every(b => (b.getAttribute('style') || '').includes('green'));
                }""",
                arg=len(pipeline.graph_keys),
                timeout=30_000,
            )
            page.wait_for_timeout(1000)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        code = proc.wait(timeout=60)
    output = log.read_text()
    assert code == 0, output
    assert "Dagster stopped" in output
    left = [pid for pid in started if alive(pid)]
    assert not left, f"still running after Ctrl-C: {left}"
    assert not services.answers(f"{url}/server_info")
