"""`python -m footfall.export`: the raw tables land as Parquet, whole, one directory per table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from footfall.export import RAW_TABLES, ExportError, export_raw
from tests.conftest import REPO_ROOT


def make_warehouse(path: Path, n_readings: int) -> None:
    """A warehouse with the raw tables the export reads, and one it must leave out."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.stores as select 'madrid' as store_id, [7] as closed_isodow")
        con.execute("create table raw.sensors as select 'madrid' as store_id, 0 as sensor_id")
        con.execute(
            "create table raw.sensor_readings as select 'madrid' as store_id, 0 as sensor_id, "
            "timestamp '2024-10-07 00:00:00' + to_hours(i) as reading_start_utc, "
            f"i::integer as visits from range({n_readings}) as t(i)"
        )
        con.execute("create table raw.load_progress as select 'madrid' as store_id")
        con.execute("create table raw.load_runs as select 1 as load_id")


def test_export_writes_every_raw_table_whole(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse, 50)
    summary = export_raw(warehouse, tmp_path / "raw")
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted(RAW_TABLES)
    assert summary.rows["sensor_readings"] == 50
    readings = tmp_path / "raw" / "sensor_readings" / "data.parquet"
    with duckdb.connect() as con:
        rows = con.execute(
            "select count(*), sum(visits), max(reading_start_utc) from read_parquet(?)",
            [str(readings)],
        ).fetchone()
        (closed,) = con.execute(
            "select closed_isodow from read_parquet(?)",
            [str(tmp_path / "raw" / "stores" / "data.parquet")],
        ).fetchone()
    assert rows[0] == 50 and rows[1] == sum(range(50))
    assert str(rows[2]) == "2024-10-09 01:00:00"
    assert closed == [7]


def test_a_new_export_replaces_the_old_one(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse, 50)
    export_raw(warehouse, tmp_path / "raw")
    warehouse.unlink()
    make_warehouse(warehouse, 7)
    export_raw(warehouse, tmp_path / "raw")
    files = list((tmp_path / "raw" / "sensor_readings").iterdir())
    assert [f.name for f in files] == ["data.parquet"]
    with duckdb.connect() as con:
        (n,) = con.execute("select count(*) from read_parquet(?)", [str(files[0])]).fetchone()
    assert n == 7
    assert not [p for p in (tmp_path / "raw").iterdir() if p.name.startswith(".")]


def test_export_without_raw_tables_says_what_to_do(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(ExportError, match="make load"):
        export_raw(warehouse, tmp_path / "raw")
    command = ["-m", "footfall.export", "--warehouse", str(warehouse), "--to", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "export failed" in result.stderr and "raw.stores" in result.stderr
