"""`python -m footfall.export --to DIR`: the warehouse's raw tables as Parquet, for Spark.

The dbt project's `spark` target (docs/spark.md) reads the raw data from Parquet files instead
of a second loader: this writes the tables the models read (``raw.stores``, ``raw.sensors``,
``raw.sensor_readings``, ``raw.load_progress``) from the DuckDB warehouse
(``FOOTFALL_WAREHOUSE``) with DuckDB's ``COPY ... TO ... (FORMAT parquet)``, one directory per
table (``DIR/sensor_readings/data.parquet``), and the spark target declares them as the
sources at the start of each run (macro ``footfall_spark_sources``). Each table is written to
a temporary directory and then swapped into place, so a reader sees the old export or the new
one. The warehouse is opened read-only, and only for the copy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from footfall import settings

# The raw tables the dbt models read (dbt_project/macros/footfall_spark_sources.sql).
RAW_TABLES = ("stores", "sensors", "sensor_readings", "load_progress")


class ExportError(RuntimeError):
    """The export could not be written; the message says what to do."""


@dataclass(frozen=True)
class ExportSummary:
    """What one export wrote: rows per table, where, and how long it took."""

    directory: Path
    rows: dict[str, int]
    duration_s: float


def export_raw(warehouse: Path | None, directory: Path) -> ExportSummary:
    """Write the raw tables of `warehouse` (default FOOTFALL_WAREHOUSE) under `directory`."""
    started = time.perf_counter()
    warehouse = Path(warehouse or settings.core().warehouse)
    if not warehouse.is_file():
        raise ExportError(
            f"there is no warehouse at {warehouse} (FOOTFALL_WAREHOUSE): run `make load` first."
        )
    rows: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        missing = [table for table in RAW_TABLES if table not in present]
        if missing:
            raise ExportError(
                f"{warehouse} has no raw.{', raw.'.join(missing)}: run `make load` first."
            )
        directory.mkdir(parents=True, exist_ok=True)
        for table in RAW_TABLES:
            final = directory / table
            tmp = directory / f".{table}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            target = str(tmp / "data.parquet").replace("'", "''")
            con.execute(f"copy raw.{table} to '{target}' (format parquet)")
            (rows[table],) = con.execute(f"select count(*) from raw.{table}").fetchone()
            old = directory / f".{table}.{os.getpid()}.old"
            if final.exists():
                final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
    return ExportSummary(directory, rows, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m footfall.export", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--to",
        type=Path,
        default=None,
        help="the directory to write (default: FOOTFALL_SPARK_RAW_DIR or data/raw-parquet)",
    )
    parser.add_argument("--warehouse", type=Path, help="default: FOOTFALL_WAREHOUSE")
    args = parser.parse_args(argv)
    directory = args.to or Path(os.environ.get("FOOTFALL_SPARK_RAW_DIR", "data/raw-parquet"))
    try:
        summary = export_raw(args.warehouse, directory)
    except (ExportError, settings.SettingError, duckdb.Error) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{table} {n:,}" for table, n in summary.rows.items())
    print(f"exported the raw tables to {summary.directory} in {summary.duration_s:.1f} s: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
