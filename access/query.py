"""One page of a mart: filters, keyset cursor, row cap, and the answer as JSON, CSV or Parquet.

Every list endpoint is a `Dataset` (a mart, its key, the columns it shows) read with a
`Selection` (the filters of the request). Rows come in key order; a page holds at most
`limit` rows (capped by FOOTFALL_ACCESS_MAX_ROWS) and, when more follow, a cursor: the key of
its last row, opaque to the client, that the next request passes back as `cursor=`. Keyset
paging reads only the rows after the cursor, so a late page costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from fastapi import HTTPException
from fastapi.responses import Response

from access import contracts

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


class Format(StrEnum):
    """How an answer is encoded."""

    json = "json"
    csv = "csv"
    parquet = "parquet"


@dataclass(frozen=True)
class Dataset:
    """A mart as an endpoint serves it: its key (the order of rows) and the columns shown."""

    name: str
    table: str
    key: tuple[str, ...]
    names: tuple[str, ...] | None = None  # None: every contract column
    date_column: str | None = "local_date"

    @property
    def columns(self) -> tuple[contracts.Column, ...]:
        cols = contracts.columns(self.table)
        return tuple(c for c in cols if self.names is None or c.name in self.names)

    def type_of(self, name: str) -> str:
        return next(c.data_type for c in contracts.columns(self.table) if c.name == name)


@dataclass
class Selection:
    """The filters of one request, as SQL conditions with their parameters."""

    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def where(self) -> str:
        return f"where {' and '.join(self.conditions)}" if self.conditions else ""


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


def not_found(message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=message)


# --------------------------------------------------------------------------------------------
# Filters shared by the endpoints
# --------------------------------------------------------------------------------------------
def known_stores(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("select store_id from dim_stores order by 1").fetchall()]


def filter_stores(
    con: duckdb.DuckDBPyConnection, selection: Selection, stores: list[str] | None
) -> list[str] | None:
    """`store_id in (...)`; 404 naming the stores that do not exist."""
    if not stores:
        return None
    wanted = list(dict.fromkeys(s.strip().lower() for item in stores for s in item.split(",")))
    wanted = [s for s in wanted if s]
    if not wanted:
        return None
    known = known_stores(con)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise not_found(
            f"unknown store(s) {', '.join(repr(s) for s in unknown)}; "
            f"the stores are {', '.join(known) or 'none yet'} (GET /v1/stores)"
        )
    selection.add(f"store_id in ({', '.join('?' * len(wanted))})", *wanted)
    return wanted


def filter_sensors(
    con: duckdb.DuckDBPyConnection,
    selection: Selection,
    sensors: list[int] | None,
    stores: list[str] | None,
) -> None:
    """`sensor_id in (...)`; 404 when no selected store has one of them."""
    if not sensors:
        return
    wanted = sorted(set(sensors))
    where, params = (
        ("where store_id in (" + ", ".join("?" * len(stores)) + ")", stores) if stores else ("", [])
    )
    known = {
        r[0]
        for r in con.execute(
            f"select distinct sensor_id from dim_sensors {where}", params
        ).fetchall()
    }
    unknown = [s for s in wanted if s not in known]
    if unknown:
        scope = f"store(s) {', '.join(stores)}" if stores else "any store"
        raise not_found(
            f"no sensor {', '.join(map(str, unknown))} in {scope}; sensors are numbered from 0 "
            "within their store (GET /v1/stores lists n_sensors)"
        )
    selection.add(f"sensor_id in ({', '.join('?' * len(wanted))})", *wanted)


def filter_dates(
    selection: Selection,
    column: str,
    start: dt.date | None,
    end: dt.date | None,
    *,
    timestamps: bool = False,
) -> None:
    """`column` between the local dates start and end, both included; 422 when start > end."""
    if start is not None and end is not None and start > end:
        raise bad_request(f"start_date {start} is after end_date {end}; give start <= end")
    if start is not None:
        selection.add(f"{column} >= ?", start)
    if end is not None:
        # a timestamp column is compared by its date (no end + 1 day: 9999-12-31 has none)
        selection.add(f"{column}::date <= ?" if timestamps else f"{column} <= ?", end)


# --------------------------------------------------------------------------------------------
# Cursor
# --------------------------------------------------------------------------------------------
def _encode_cursor(dataset: Dataset, values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values]
    raw = json.dumps({"d": dataset.name, "k": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(dataset: Dataset, cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
        values = body["k"]
        ok = body["d"] == dataset.name and isinstance(values, list)
        ok = ok and len(values) == len(dataset.key)
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise bad_request(
            f"cursor {cursor[:40]!r} is not a cursor of {dataset.name}: pass back the "
            "next_cursor of the previous page unchanged (or leave cursor out for the first page)"
        )
    typed = []
    for name, value in zip(dataset.key, values, strict=True):
        kind = contracts.python_type(dataset.type_of(name))
        try:
            if value is None:
                typed.append(None)
            elif kind is dt.date:
                typed.append(dt.date.fromisoformat(value))
            elif kind is dt.datetime:
                typed.append(dt.datetime.fromisoformat(value))
            elif kind is int:
                if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31:
                    raise TypeError(value)
                typed.append(value)
            else:
                typed.append(str(value))
        except (TypeError, ValueError):
            raise bad_request(
                f"cursor {cursor[:40]!r} is damaged: pass back next_cursor unchanged"
            ) from None
    return typed


def _after(dataset: Dataset, values: list[Any], selection: Selection) -> None:
    """Rows strictly after the key `values`, in key order (keyset paging)."""
    alternatives = []
    params: list[Any] = []
    for i, name in enumerate(dataset.key):
        equal = [f"{k} = ?" for k in dataset.key[:i]]
        alternatives.append("(" + " and ".join([*equal, f"{name} > ?"]) + ")")
        params.extend([*values[:i], values[i]])
    selection.add("(" + " or ".join(alternatives) + ")", *params)


# --------------------------------------------------------------------------------------------
# One page
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    """The rows of one answer and the cursor of the next one (None on the last page)."""

    dataset: Dataset
    table: pa.Table
    next_cursor: str | None


def read_page(
    con: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    selection: Selection,
    *,
    limit: int,
    max_rows: int,
    cursor: str | None,
) -> Page:
    """The first `limit` rows after the cursor that match the selection, in key order."""
    if limit > max_rows:
        raise bad_request(
            f"limit {limit} is above the cap of {max_rows} rows per answer "
            "(FOOTFALL_ACCESS_MAX_ROWS); page through with the cursor instead"
        )
    if cursor:
        _after(dataset, _decode_cursor(dataset, cursor), selection)
    cols = ", ".join(c.name for c in dataset.columns)
    order = ", ".join(dataset.key)
    sql = (
        f"select {cols} from {dataset.table} {selection.where()} "
        f"order by {order} limit {int(limit) + 1}"
    )
    table = con.sql(sql, params=selection.params).to_arrow_table()
    next_cursor = None
    if table.num_rows > limit:
        table = table.slice(0, limit)
        last = table.slice(limit - 1, 1).to_pylist()[0]
        next_cursor = _encode_cursor(dataset, [last[k] for k in dataset.key])
    return Page(dataset, table, next_cursor)


def snapshot_facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What an answer says about the snapshot it was read from."""
    row = con.execute(
        "select published_at_utc, build_generated_at_utc, last_load_ended_at_utc "
        "from serving_info limit 1"
    ).fetchone()
    names = ("published_at_utc", "build_generated_at_utc", "last_load_ended_at_utc")
    return dict(zip(names, row or (None, None, None), strict=True))


def render(page: Page, fmt: Format, snapshot: dict[str, Any]) -> Response:
    """The page as JSON (rows and cursor in the body), CSV or Parquet (cursor in a header)."""
    headers = {"X-Snapshot-Published-At": _iso(snapshot.get("published_at_utc"))}
    if page.next_cursor:
        headers["X-Next-Cursor"] = page.next_cursor
    if fmt is Format.json:
        body = {
            "dataset": page.dataset.name,
            "snapshot": snapshot,
            "n_rows": page.table.num_rows,
            "next_cursor": page.next_cursor,
            "rows": page.table.to_pylist(),
        }
        return Response(
            orjson.dumps(body, option=_JSON_OPTIONS),
            media_type="application/json",
            headers=headers,
        )
    sink = io.BytesIO()
    filename = f"{page.dataset.name}.{fmt.value}"
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if fmt is Format.csv:
        pa_csv.write_csv(_csv_safe(page.table), sink)
        return Response(sink.getvalue(), media_type="text/csv", headers=headers)
    pq.write_table(page.table, sink, compression="snappy")
    return Response(sink.getvalue(), media_type=PARQUET_MEDIA_TYPE, headers=headers)


def _csv_safe(table: pa.Table) -> pa.Table:
    """List columns (closed_isodow) as text: CSV has no lists."""
    for i, column in enumerate(table.schema):
        if pa.types.is_list(column.type):
            values = [None if v is None else " ".join(map(str, v)) for v in table[i].to_pylist()]
            table = table.set_column(i, column.name, pa.array(values, pa.string()))
    return table


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else ""
