"""The dbt project on Spark equals the project on DuckDB, on every mart, row for row.

A small real warehouse (simulator -> loader -> `dbt build` on DuckDB: two stores, Madrid and
Berlin, five weeks across the autumn DST change of 2024-10-27, with a traffic drop and an
outage so that alerts fire) is exported as Parquet
(`python -m footfall.export`), then `dbt build --target spark` builds the same project on a
local Spark (dbt-spark's session method) from those files: every model, data test and unit
test must pass, and every mart (dim_* and fct_*) must hold the same rows as DuckDB's. Values
are compared exactly, except floating-point columns (sums and averages of doubles, whose
order of addition differs between the engines): those to a relative 1e-9.

Spark writes its tables as Parquet under its own warehouse directory; they are read back here
with DuckDB, so the comparison sees what Spark stored. Opt-in: FOOTFALL_TEST_SPARK=1 (`make
test-spark`), see conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from footfall.export import export_raw
from tests.chain import DBT, DBT_PROJECT_DIR, Chain
from tests.conftest import REPO_ROOT
from tests.dbt.marts_checks import KEYS

STORES = ("madrid", "berlin")
START = date(2024, 10, 7)
NOW = datetime(2024, 11, 11, tzinfo=UTC)
# Incidents, so that the alert rules fire on real data too: Berlin counts a fifth of its
# traffic for a day (the traffic drops), Madrid's only sensor is out for an afternoon (the
# silent rules; Madrid has one sensor, so the store is silent too).
INCIDENTS = (
    {
        "kind": "traffic",
        "store_id": "berlin",
        "start_utc": "2024-11-05T00:00:00Z",
        "end_utc": "2024-11-06T00:00:00Z",
        "factor": 0.2,
    },
    {
        "kind": "outage",
        "store_id": "madrid",
        "sensor_id": 0,
        "start_utc": "2024-10-30T12:00:00Z",
        "end_utc": "2024-10-30T20:00:00Z",
    },
)
MART_KEYS = {
    **KEYS,
    "fct_sensor_health_daily": ["store_id", "sensor_id", "local_date"],
    "fct_store_health_daily": ["store_id", "local_date"],
    "fct_alerts": ["alert_id"],
    "dim_calendar": ["date_day"],
    "dim_calendar_hours": ["hour_start"],
}
REL_TOLERANCE = 1e-9

pytestmark = pytest.mark.timeout(1800)


@dataclass(frozen=True)
class SparkBuild:
    """The DuckDB chain, and what `dbt build --target spark` did on its exported raw data."""

    chain: Chain
    warehouse_dir: Path
    returncode: int
    output: str
    seconds: float
    run_results: dict[str, Any]

    def table_files(self, name: str) -> str:
        """The Parquet files of a Spark table of schema main."""
        return str(self.warehouse_dir / "main.db" / name / "*.parquet")


@pytest.fixture(scope="module")
def spark_build(spark_ready: None, tmp_path_factory: pytest.TempPathFactory) -> SparkBuild:
    root = tmp_path_factory.mktemp("spark_build")
    chain = Chain(
        root=root / "duckdb",
        warehouse=root / "duckdb" / "warehouse.duckdb",
        stores=STORES,
        start=START,
        now=NOW,
        target_path=root / "duckdb" / "target",
        log_path=root / "duckdb" / "logs",
    )
    chain.root.mkdir(parents=True)
    chain = chain.load(NOW, first=True, scenarios=INCIDENTS).dbt_build()
    raw_dir = root / "raw"
    export_raw(chain.warehouse, raw_dir)
    warehouse_dir = root / "spark-warehouse"
    target = root / "spark-target"
    env = {
        **os.environ,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(root / "spark-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        "FOOTFALL_SPARK_RAW_DIR": str(raw_dir),
        "FOOTFALL_SPARK_WAREHOUSE": str(warehouse_dir),
        "FOOTFALL_SPARK_SHUFFLE_PARTITIONS": "2",
    }
    command = [DBT, "build", "--target", "spark", "--vars", json.dumps(chain.dbt_vars)]
    started = time.perf_counter()
    # From the temporary directory: whatever Spark writes beside itself stays out of the repo.
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (root / "spark-build.log").write_text(result.stdout + result.stderr)
    results_file = target / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {}
    duck_s = chain.build.seconds if chain.build else float("nan")
    print(
        f"\nsample {'+'.join(STORES)} {START}..{NOW.date()}: dbt build on DuckDB {duck_s:.1f} s, "
        f"on Spark (local, session) {seconds:.1f} s"
    )
    return SparkBuild(chain, warehouse_dir, result.returncode, result.stdout, seconds, run_results)


def _not_passed(results: dict[str, Any]) -> list[str]:
    return [
        f"{r['status']}: {r['unique_id']}: {(r.get('message') or '').strip()[:400]}"
        for r in results.get("results", [])
        if r.get("status") not in {"success", "pass", "no-op"}
    ]


def _kinds(results: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results.get("results", []):
        kind = r["unique_id"].split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_every_model_and_test_passes_on_spark(spark_build: SparkBuild) -> None:
    problems = _not_passed(spark_build.run_results)
    assert spark_build.returncode == 0 and not problems, (
        "dbt build --target spark:\n" + "\n".join(problems) + "\n" + spark_build.output[-3000:]
    )


def test_spark_builds_the_same_nodes_as_duckdb(spark_build: SparkBuild) -> None:
    """Every model, data test and unit test of the project ran on both engines."""
    duck = spark_build.chain.build
    assert duck is not None and duck.run_results is not None
    spark_kinds, duck_kinds = _kinds(spark_build.run_results), _kinds(duck.run_results)
    assert spark_kinds == duck_kinds
    assert spark_kinds.get("model", 0) >= 16 and spark_kinds.get("unit_test", 0) >= 9


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as naive UTC, whichever way the Parquet reader typed them."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def _differences(name: str, duck: pd.DataFrame, spark: pd.DataFrame) -> list[str]:
    keys = MART_KEYS[name]
    problems = []
    if list(spark.columns) != list(duck.columns):
        return [f"columns differ: spark {list(spark.columns)}, duckdb {list(duck.columns)}"]
    if len(spark) != len(duck):
        problems.append(f"{len(spark)} rows on Spark, {len(duck)} on DuckDB")
    merged = duck.merge(spark, on=keys, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    if len(only):
        shown = only[[*keys, "_merge"]].head()
        problems.append(f"{len(only)} keys on one side only, e.g.\n{shown}")
    both = merged[merged["_merge"] == "both"]
    for column in duck.columns:
        if column in keys:
            continue
        a, b = both[f"{column}_duckdb"], both[f"{column}_spark"]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            a_num, b_num = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            same = np.isclose(a_num, b_num, rtol=REL_TOLERANCE, atol=0) | (
                np.isnan(a_num) & np.isnan(b_num)
            )
        else:
            text_equal = (a.astype(str) == b.astype(str)).to_numpy(dtype=bool)
            same = text_equal | (a.isna() & b.isna()).to_numpy(dtype=bool)
        if not same.all():
            shown = both.loc[~same, [*keys, f"{column}_duckdb", f"{column}_spark"]].head(5)
            problems.append(f"{column}: {int((~same).sum())} rows differ, e.g.\n{shown}")
    return problems


def test_every_mart_equals_duckdb_row_for_row(spark_build: SparkBuild) -> None:
    with spark_build.chain.connect() as con:
        marts = spark_build.chain.marts()
        duck = {name: con.sql(f"select * from main.{name}").df() for name in marts}
    assert sorted(marts) == sorted(MART_KEYS), f"marts of the DuckDB build: {marts}"
    problems = []
    with duckdb.connect() as con:
        for name in marts:
            files = spark_build.table_files(name)
            spark = _normalised(con.execute("select * from read_parquet(?)", [files]).df())
            found = _differences(name, _normalised(duck[name]), spark)
            if found:
                problems.append(f"{name}:\n" + "\n".join(found))
            elif len(spark) == 0:
                problems.append(f"{name}: empty on both engines (the sample covers nothing)")
    assert not problems, "\n\n".join(problems)


def test_the_sample_fires_several_alert_rules(spark_build: SparkBuild) -> None:
    """The incidents make the alerts' comparison meaningful: silent and daily rules fire."""
    with spark_build.chain.connect() as con:
        rules = {rule for (rule,) in con.execute("select rule from fct_alerts").fetchall()}
    assert {"silent_sensor", "silent_store", "store_traffic_drop"} <= rules, rules
