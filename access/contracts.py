"""The marts' columns as the dbt contracts declare them, and pydantic row models built from them.

Each mart's columns, types and descriptions are written once, in the dbt YAML of its enforced
contract (dbt_project/models/marts/**/_*__models.yml); the API's response models are made
from that spec, so the OpenAPI schema says what each endpoint returns without a second list.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model

from footfall.settings import REPO_ROOT

MARTS_DIR = REPO_ROOT / "dbt_project" / "models" / "marts"
_DOC_CALL = re.compile(r"\{\{\s*doc\('([^']+)'\)\s*\}\}")
_TYPES: dict[str, type] = {
    "varchar": str,
    "integer": int,
    "bigint": int,
    "double": float,
    "date": dt.date,
    "timestamp": dt.datetime,
    "boolean": bool,
    "integer[]": list[int],
}


@dataclass(frozen=True)
class Column:
    """One column of a mart's contract."""

    name: str
    data_type: str
    description: str


@functools.cache
def contracts(marts_dir: Path = MARTS_DIR) -> dict[str, tuple[Column, ...]]:
    """Every mart with an enforced contract: its columns in order."""
    found: dict[str, tuple[Column, ...]] = {}
    for path in sorted(marts_dir.rglob("_*.yml")):
        spec = yaml.safe_load(path.read_text()) or {}
        for model in spec.get("models") or []:
            columns = model.get("columns") or []
            if not columns or not all(c.get("data_type") for c in columns):
                continue
            found[model["name"]] = tuple(
                Column(
                    c["name"],
                    str(c["data_type"]).lower(),
                    _DOC_CALL.sub(r"(see dbt docs: \1)", str(c.get("description") or "")),
                )
                for c in columns
            )
    return found


def columns(table: str) -> tuple[Column, ...]:
    """The contract columns of one mart (KeyError when it has no contract)."""
    return contracts()[table]


def python_type(data_type: str) -> type:
    """The Python type of a contract data type (str for a type not listed)."""
    return _TYPES.get(data_type, str)


@functools.cache
def row_model(
    table: str, names: tuple[str, ...] | None = None, title: str | None = None
) -> type[BaseModel]:
    """A pydantic model of one row of `table` (all its columns, or those named), all nullable."""
    cols = [c for c in columns(table) if names is None or c.name in names]
    fields = {
        c.name: (python_type(c.data_type) | None, Field(None, description=c.description))
        for c in cols
    }
    title = title or "".join(part.title() for part in table.split("_")) + "Row"
    return create_model(title, __config__=ConfigDict(title=title), **fields)  # type: ignore[call-overload]
