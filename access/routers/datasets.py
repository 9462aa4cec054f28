"""The catalogue: which datasets there are, what they mean, their columns (from dbt's docs)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from access import catalog
from access.models import ERRORS, SnapshotFacts
from access.params import Connection
from access.query import not_found, snapshot_facts
from footfall import settings

router = APIRouter(prefix="/v1/datasets", tags=["catalogue"])


class ColumnInfo(BaseModel):
    name: str
    data_type: str
    description: str = Field("", description="From dbt's manifest.json.")


class DatasetInfo(BaseModel):
    name: str = Field(..., description="The mart (table of the serving snapshot).")
    description: str = Field("", description="From dbt's manifest.json.")
    n_rows: int
    endpoints: list[str] = Field(..., description="The API paths that serve it.")
    columns: list[ColumnInfo]


class Catalogue(BaseModel):
    snapshot: SnapshotFacts
    described_by: list[str] = Field(..., description="The dbt artifacts read.")
    datasets: list[DatasetInfo]


def _catalogue(request: Request, con) -> Catalogue:
    docs = catalog.dbt_docs(settings.dashboard().dbt_target_dir)
    return Catalogue(
        snapshot=SnapshotFacts(**snapshot_facts(con)),
        described_by=list(docs.sources),
        datasets=[
            DatasetInfo(**d) for d in catalog.datasets(con, docs, request.app.state.endpoints)
        ],
    )


@router.get("", summary="Every dataset", responses=ERRORS)
def list_datasets(request: Request, con: Connection) -> Catalogue:
    """The marts of the serving snapshot: descriptions, row counts, columns, endpoints."""
    return _catalogue(request, con)


@router.get("/{name}", summary="One dataset", responses=ERRORS)
def one_dataset(
    request: Request,
    con: Connection,
    name: str = Path(..., max_length=200, description="A mart, e.g. fct_store_traffic_daily."),
) -> DatasetInfo:
    """One mart's description, row count, columns and endpoints; 404 for an unknown name."""
    found = [d for d in _catalogue(request, con).datasets if d.name == name]
    if not found:
        names = ", ".join(d.name for d in _catalogue(request, con).datasets)
        raise not_found(f"no dataset {name!r}; the datasets are {names} (GET /v1/datasets)")
    return found[0]
