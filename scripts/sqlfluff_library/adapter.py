"""`adapter` for sqlfluff's jinja templater (.sqlfluff `library_path`): lint renders DuckDB.

The project's engine differences are macros dispatched with
``adapter.dispatch(name, 'footfall')`` (dbt_project/macros/footfall_engine.sql). dbt resolves
them against the target's adapter; the lint, which has no dbt, renders the ``duckdb__`` body
(else the ``default__`` one), the SQL of the default target.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    """The macro `duckdb__<name>` (or `default__<name>`) of the linted project."""
    for prefix in ("duckdb__", "default__"):
        macro = context.resolve_or_missing(prefix + macro_name)
        if callable(macro):
            return macro
    raise KeyError(f"no duckdb__{macro_name} or default__{macro_name} macro to lint with")
