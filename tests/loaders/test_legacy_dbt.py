"""The dbt project builds, unchanged, on what the legacy source landed (issue 13).

A small warehouse made by the real chain with the legacy source: a simulator with a fixed
clock, `python -m loaders --source legacy --fleet loaders/fleets/default.yaml`, `dbt build`.
Three weeks of two stores over the autumn DST change, whose repeated hour the original
protocol cannot name: dbt's hour spine has it, as a missing hour.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.chain import Chain, _fail, _run, iso_utc
from tests.conftest import REPO_ROOT, run_simulator

FLEET = REPO_ROOT / "loaders" / "fleets" / "default.yaml"
STORES = ("madrid", "berlin")
START = date(2024, 10, 14)  # a Monday
NOW = datetime(2024, 11, 4, tzinfo=UTC)


def legacy_chain(root: Path) -> Chain:
    """The chain's warehouse loaded by the legacy source (not yet built)."""
    root.mkdir(parents=True, exist_ok=True)
    chain = Chain(
        root=root,
        warehouse=root / "warehouse.duckdb",
        stores=STORES,
        start=START,
        now=NOW,
        target_path=root / "target",
        log_path=root / "logs",
    )
    first = datetime.combine(START - timedelta(days=1), datetime.min.time(), UTC)
    with run_simulator({"FOOTFALL_SIM_NOW": iso_utc(NOW)}) as api_url:
        command = [
            sys.executable,
            "-m",
            "loaders",
            "--source",
            "legacy",
            "--fleet",
            str(FLEET),
            "--now",
            iso_utc(NOW),
            "--start",
            iso_utc(first),
            "--end",
            iso_utc(NOW),
            "--stores",
            ",".join(STORES),
        ]
        env = {**chain.env(), "FOOTFALL_API_URL": api_url}
        result = _run(command, env, chain.log_file, "legacy load")
        if result.returncode != 0:
            raise _fail("the legacy loader", command, result)
    return chain


def test_dbt_builds_on_a_legacy_loaded_warehouse(tmp_path: Path) -> None:
    chain = legacy_chain(tmp_path / "legacy").dbt_build()
    assert chain.build is not None
    assert chain.build.failures() == []
    assert chain.build.returncode == 0
    assert {"dim_stores", "fct_sensor_traffic_hourly", "fct_store_traffic_daily"} <= set(
        chain.marts()
    )
    with chain.connect() as con:
        # The repeated autumn hour: in the spine, missing (the protocol cannot name it).
        status = con.execute(
            """
            select distinct status from fct_sensor_traffic_hourly
            where store_id = 'berlin' and hour_start_utc = '2024-10-27 01:00:00'
            """
        ).fetchall()
        n_days = con.execute(
            "select count(*) from fct_store_traffic_daily where store_id = 'madrid'"
        ).fetchone()[0]
    assert status == [("missing",)]
    assert n_days >= 21
