"""Response models: what the OpenAPI schema says each endpoint returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, create_model

from access.query import Dataset


class SnapshotFacts(BaseModel):
    """The serving snapshot an answer was read from (UTC)."""

    published_at_utc: dt.datetime | None = Field(None, description="When it was published.")
    build_generated_at_utc: dt.datetime | None = Field(
        None, description="When the dbt build behind it ended."
    )
    last_load_ended_at_utc: dt.datetime | None = Field(
        None, description="When the last successful load before it ended."
    )


class Problem(BaseModel):
    """An error: what was wrong and what to do."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No API key, or a key that is not configured."},
    404: {"model": Problem, "description": "An unknown store, sensor or dataset."},
    422: {"model": Problem, "description": "A malformed or contradictory parameter."},
    503: {"model": Problem, "description": "No serving snapshot yet (run `make build`)."},
}


def page_model(dataset: Dataset, row: type[BaseModel]) -> type[BaseModel]:
    """The JSON answer of a list endpoint: snapshot facts, the rows, the next cursor."""
    title = "".join(part.title() for part in dataset.name.split("_")) + "Page"
    return create_model(
        title,
        dataset=(str, Field(..., description="The dataset (mart) read.")),
        snapshot=(SnapshotFacts, ...),
        n_rows=(int, Field(..., description="Rows in this answer.")),
        next_cursor=(
            str | None,
            Field(None, description="Pass as `cursor=` for the next page; null on the last."),
        ),
        rows=(list[row], ...),  # type: ignore[valid-type]
    )


def list_responses(dataset: Dataset, row: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers of a list endpoint: JSON with its model, CSV, Parquet, and the errors."""
    return {
        200: {
            "model": page_model(dataset, row),
            "description": "One page of rows (format=json); CSV or Parquet with format=csv or "
            "format=parquet, the next cursor then in the X-Next-Cursor header.",
            "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
        },
        **ERRORS,
    }
