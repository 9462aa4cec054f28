"""The catalogue of datasets: the marts in the snapshot, described by dbt's own artifacts.

Names and row counts come from the snapshot; descriptions of each mart and column from dbt's
``manifest.json``; column types from dbt's ``catalog.json`` (written by ``dbt docs
generate``, which ``make demo`` and ``make docs`` run), else from the snapshot itself. Both
files are read from dbt's target directory (``DBT_TARGET_PATH``, default
``dbt_project/target``), the directory the publisher reads the build's test results from, and
re-read when they change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

_cache: dict[Path, tuple[float, dict[str, Any]]] = {}


def _artifact(path: Path) -> dict[str, Any]:
    """A dbt JSON artifact, cached until it changes; {} when absent or unreadable."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    _cache[path] = (mtime, data)
    return data


@dataclass(frozen=True)
class DbtDocs:
    """The models of dbt's manifest and catalog, by table name."""

    manifest: dict[str, dict[str, Any]]
    catalog: dict[str, dict[str, Any]]
    sources: tuple[str, ...]


def dbt_docs(target_dir: Path) -> DbtDocs:
    manifest_path, catalog_path = target_dir / "manifest.json", target_dir / "catalog.json"
    manifest = _artifact(manifest_path).get("nodes") or {}
    catalog = _artifact(catalog_path).get("nodes") or {}
    by_name = {
        n.get("alias") or n.get("name"): n
        for n in manifest.values()
        if n.get("resource_type") == "model"
    }
    cat_by_name = {
        (n.get("metadata") or {}).get("name"): n for n in catalog.values() if n.get("metadata")
    }
    sources = tuple(str(p) for p in (manifest_path, catalog_path) if p.is_file())
    return DbtDocs(by_name, cat_by_name, sources)


def datasets(
    con: duckdb.DuckDBPyConnection, docs: DbtDocs, endpoints: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Every mart of the snapshot with its description, row count, columns and endpoints."""
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' "
            "and (starts_with(table_name, 'dim_') or starts_with(table_name, 'fct_')) order by 1"
        ).fetchall()
    ]
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = 'main' order by table_name, column_index"
    ).fetchall():
        columns.setdefault(table, []).append((column, data_type))
    out = []
    for table in tables:
        node = docs.manifest.get(table, {})
        described = node.get("columns") or {}
        typed = (docs.catalog.get(table) or {}).get("columns") or {}
        (n_rows,) = con.execute(f'select count(*) from "{table}"').fetchone()
        out.append(
            {
                "name": table,
                "description": (node.get("description") or "").strip(),
                "n_rows": n_rows,
                "endpoints": endpoints.get(table, []),
                "columns": [
                    {
                        "name": name,
                        "data_type": (typed.get(name) or {}).get("type") or data_type,
                        "description": (described.get(name) or {}).get("description", ""),
                    }
                    for name, data_type in columns.get(table, [])
                ],
            }
        )
    return out
