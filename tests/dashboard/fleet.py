"""A 100-store serving snapshot, made in a few seconds from the small real one.

Every table of the published snapshot is copied; each table with a `store_id` gets, besides
the real stores' rows, those of synthetic stores: store k is a copy of one of the real stores'
facts (London for odd k, Madrid for even k) under the id, name, city and country the
simulator's synthetic fleet gives store k (`FOOTFALL_SIM_STORES`), its visits scaled by a
factor of its own so that the stores differ. The marts keep every column, so the dashboard
reads it as it reads a published snapshot of a real 100-store chain.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from simulator.fleet import synthetic_store

# Count columns scaled per store (percentages and hour counts are left as they are).
VISIT_COLUMNS = {
    "visits_raw",
    "visits_clean",
    "visits_expected",
    "visits_clean_ma_4w",
    "visits_clean_prev_week",
    "visits_observed",
    "visits_baseline",
    "visits_estimated",
    "floor_visits",
}


def grow(source: Path, target: Path, n_stores: int = 100) -> Path:
    """Copy the snapshot at source to target with synthetic stores up to n_stores in all."""
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{source}' as src (read_only)")
        known = [r[0] for r in con.execute("select store_id from src.dim_stores").fetchall()]
        # The stores with traffic (metadata may name more): the models of the new ones.
        real = [
            r[0]
            for r in con.execute(
                "select store_id from src.serving_store_extent order by 1"
            ).fetchall()
        ]
        rows = [(s, s, s, None, None, None, 1.0) for s in known]
        models = {0: "london" if "london" in real else real[0], 1: real[-1]}
        for k in range(1, n_stores - len(real) + 1):
            store = synthetic_store(k)
            factor = 0.4 + (k * 37 % 100) / 80
            rows.append(
                (
                    models[k % 2],
                    store.store_id,
                    store.store_id,
                    store.name,
                    store.city,
                    store.country,
                    factor,
                )
            )
        con.execute(
            "create temp table mapping (src_id varchar, new_id varchar, key varchar, "
            "new_name varchar, new_city varchar, new_country varchar, factor double)"
        )
        con.executemany("insert into mapping values (?, ?, ?, ?, ?, ?, ?)", rows)
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'src' order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'src' "
                    "and table_name = ? order by column_index",
                    [table],
                ).fetchall()
            ]
            if "store_id" not in columns:
                con.execute(f"create table {table} as select * from src.{table}")
                continue
            replace = ["m.new_id as store_id"]
            replace += [
                f"(t.{c} * m.factor)::{_type(con, table, c)} as {c}"
                for c in columns
                if c in VISIT_COLUMNS
            ]
            if table == "dim_stores":
                replace += [
                    "coalesce(m.new_name, t.store_name) as store_name",
                    "coalesce(m.new_city, t.city) as city",
                    "coalesce(m.new_country, t.country) as country",
                ]
            if "alert_id" in columns:
                replace.append(
                    "case when m.new_id = m.src_id then t.alert_id "
                    "else md5(t.alert_id || m.new_id) end as alert_id"
                )
            order = "store_id" + (", local_date" if "local_date" in columns else "")
            con.execute(
                f"create table {table} as select t.* replace ({', '.join(replace)}) "
                f"from src.{table} t join mapping m on t.store_id = m.src_id order by {order}"
            )
    return target


def _type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    (data_type,) = con.execute(
        "select data_type from duckdb_columns() where database_name = 'src' "
        "and table_name = ? and column_name = ?",
        [table, column],
    ).fetchone()
    return data_type
