"""The API's pinned snapshot versions: a running request keeps its file, the next one gets the
new file, and an old version is closed and unlinked when its last request ends."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from access.snapshots import SnapshotPool
from dashboards.snapshot import readers_dir


def _n_days(cur: duckdb.DuckDBPyConnection) -> int:
    return cur.execute("select count(*) from fct_store_traffic_daily").fetchone()[0]


def test_a_request_keeps_its_version_across_a_swap(served: Path, tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    shutil.copy2(served, serving)
    smaller = tmp_path / ".serving.duckdb.next"
    shutil.copy2(served, smaller)
    with duckdb.connect(str(smaller)) as con:
        con.execute("delete from fct_store_traffic_daily where store_id = 'london'")
    pool = SnapshotPool(serving)
    links = readers_dir(serving)
    with pool.cursor() as old:
        full = _n_days(old)
        smaller.replace(serving)  # what the publisher does: os.replace of a new file
        with pool.cursor() as new:
            assert _n_days(new) == full // 2
            assert _n_days(old) == full  # the running request still reads its own file
            assert len(list(links.glob("api-*.duckdb"))) == 2
    # the old version had no request left: closed and unlinked; the current one stays open
    assert len(list(links.glob("api-*.duckdb"))) == 1
    with pool.cursor() as again:
        assert _n_days(again) == full // 2
    pool.close()
    assert not list(links.glob("api-*.duckdb"))
