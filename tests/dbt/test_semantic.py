"""The semantic layer's figures equal the marts' columns, through `mf query` on the snapshot.

The shared small warehouse (real chain: simulator, loader, `dbt build`) is published as a
serving snapshot; `mf query` runs as the README shows it, with `DBT_TARGET=serving` (the
snapshot attached read-only) and the semantic manifest that `dbt build` wrote. MetricFlow's
answers are compared with the marts' own columns: visits per store and local day, the
week-over-week change (a derived metric with an offset), the same-weekday 4-week average, the
data-quality share (a ratio), per hour and per sensor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from footfall.publish import publish
from tests.chain import DBT_PROJECT_DIR, Chain
from tests.conftest import REPO_ROOT

MF = str(Path(sys.executable).parent / "mf")


@pytest.fixture(scope="module")
def mf_env(small_warehouse: Chain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The snapshot of the small warehouse and a dbt project dir whose target has its manifest.

    `mf` reads `<project>/target/semantic_manifest.json`; a copy of the project with the
    chain's manifest keeps the repository's own target untouched.
    """
    root = tmp_path_factory.mktemp("semantic")
    serving = root / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path, wait_s=30)
    project = root / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "target").mkdir()
    shutil.copy2(small_warehouse.target_path / "semantic_manifest.json", project / "target")
    return {
        **os.environ,
        "DBT_TARGET": "serving",
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_LOG_PATH": str(root / "logs"),
        "FOOTFALL_WAREHOUSE": str(small_warehouse.warehouse),
        "FOOTFALL_SERVING": str(serving),
        "SERVING": str(serving),
    }


def mf_query(env: dict[str, str], out: Path, *args: str) -> pd.DataFrame:
    """`mf query ARGS --csv out` as a user runs it; its CSV as a DataFrame."""
    done = subprocess.run(
        [MF, "query", *args, "--csv", str(out)],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return pd.read_csv(out)


def mart(env: dict[str, str], sql: str) -> pd.DataFrame:
    with duckdb.connect(env["SERVING"], read_only=True) as con:
        return con.execute(sql).df()


def assert_same(left: pd.Series, right: pd.Series, what: str) -> None:
    """Equal to 1e-9 relative, nulls in the same places."""
    a, b = left.astype(float).to_numpy(), right.astype(float).to_numpy()
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: nulls differ"
    ok = np.isnan(a) | np.isclose(a, b, rtol=1e-9, atol=1e-9)
    assert ok.all(), f"{what}: {int((~ok).sum())} values differ, e.g. {a[~ok][:3]} vs {b[~ok][:3]}"


def test_store_daily_metrics_equal_the_mart(mf_env: dict[str, str], tmp_path: Path) -> None:
    got = mf_query(
        mf_env,
        tmp_path / "daily.csv",
        "--metrics",
        "visits,visits_raw,visits_wow_pct,visits_ma_4w,data_quality_pct,failed_sensor_hours",
        "--group-by",
        "metric_time__day,store",
    )
    got["local_date"] = pd.to_datetime(got["metric_time__day"]).dt.date
    want = mart(
        mf_env,
        "select store_id, local_date, visits_clean, visits_raw, visits_clean_wow_pct, "
        "visits_clean_ma_4w, data_quality_pct, n_failed_hours from fct_store_traffic_daily",
    )
    want["local_date"] = pd.to_datetime(want["local_date"]).dt.date
    both = want.merge(
        got, left_on=["store_id", "local_date"], right_on=["store", "local_date"], how="left"
    )
    assert len(want) > 300 and both["visits"].notna().all(), "a store-day has no metric row"
    # MetricFlow's offsets add the days after the data (their week-earlier value): no others.
    extra = set(zip(got["store"], got["local_date"], strict=True)) - set(
        zip(want["store_id"], want["local_date"], strict=True)
    )
    assert not any(got.set_index(["store", "local_date"]).loc[list(extra), "visits"].notna())
    assert_same(both["visits"], both["visits_clean"], "visits")
    assert_same(both["visits_raw_y"], both["visits_raw_x"], "visits_raw")
    assert_same(both["visits_wow_pct"], both["visits_clean_wow_pct"], "week over week")
    assert both["visits_wow_pct"].notna().sum() > 200  # not only nulls compared
    assert_same(both["visits_ma_4w"], both["visits_clean_ma_4w"], "4-week average")
    assert_same(both["data_quality_pct_y"], both["data_quality_pct_x"], "data quality")
    assert_same(both["failed_sensor_hours"], both["n_failed_hours"], "failed sensor-hours")


def test_hourly_and_sensor_metrics_equal_the_marts(mf_env: dict[str, str], tmp_path: Path) -> None:
    hourly = mf_query(
        mf_env,
        tmp_path / "hourly.csv",
        "--metrics",
        "hourly_visits",
        "--group-by",
        "metric_time__hour,store",
        "--where",
        "{{ Entity('store') }} = 'london'",
    )
    want = mart(
        mf_env,
        # by local hour: the repeated hour of the autumn DST night holds both UTC hours
        "select hour_start_local, sum(visits_clean) as visits from fct_store_traffic_hourly "
        "where store_id = 'london' group by 1",
    )
    hourly["hour_start_local"] = pd.to_datetime(hourly["metric_time__hour"])
    both = want.merge(hourly, on="hour_start_local", how="left")
    assert len(both) > 4000
    assert_same(both["hourly_visits"], both["visits"], "hourly visits")

    sensors = mf_query(
        mf_env,
        tmp_path / "sensors.csv",
        "--metrics",
        "sensor_visits,sensor_data_quality_share",
        "--group-by",
        "metric_time__day,sensor",
    )
    sensors["local_date"] = pd.to_datetime(sensors["metric_time__day"]).dt.date
    want = mart(
        mf_env,
        "select store_id || '/' || sensor_id as sensor, local_date, visits_clean, "
        "data_quality_pct from fct_sensor_traffic_daily",
    )
    want["local_date"] = pd.to_datetime(want["local_date"]).dt.date
    both = want.merge(sensors, on=["sensor", "local_date"], how="left")
    assert both["sensor"].nunique() == 9  # madrid's one sensor and london's eight
    assert_same(both["sensor_visits"], both["visits_clean"], "sensor visits")
    assert_same(100 * both["sensor_data_quality_share"], both["data_quality_pct"], "quality")


def test_saved_queries_run_on_the_snapshot(mf_env: dict[str, str], tmp_path: Path) -> None:
    weekly = mf_query(
        mf_env, tmp_path / "weekly.csv", "--saved-query", "chain_weekly_visits"
    ).sort_values("metric_time__week")
    daily = mart(
        mf_env,
        "select date_trunc('week', local_date) as week, sum(visits_clean) as visits "
        "from fct_store_traffic_daily group by 1 order by 1",
    )
    # 26 weeks from a Monday, and the first local hours of the next one (east of UTC)
    assert len(weekly) == len(daily) == 27
    assert_same(weekly["visits"].reset_index(drop=True), daily["visits"], "weekly visits")


def test_mf_never_opens_the_warehouse(mf_env: dict[str, str], tmp_path: Path) -> None:
    """With the warehouse held by a writer (as a load or a build holds it), mf still answers:
    the serving target attaches only the snapshot, read-only."""
    locked = tmp_path / "held" / "warehouse.duckdb"  # same catalog name, held for writing
    locked.parent.mkdir()
    with duckdb.connect(str(locked)) as writer:
        writer.execute("create table busy as select 1 as x")
        got = mf_query(
            {**mf_env, "FOOTFALL_WAREHOUSE": str(locked)},
            tmp_path / "visits.csv",
            "--metrics",
            "visits",
            "--group-by",
            "store",
        )
    (want,) = mart(mf_env, "select sum(visits_clean) as v from fct_store_traffic_daily")["v"]
    assert got["visits"].sum() == pytest.approx(want)
