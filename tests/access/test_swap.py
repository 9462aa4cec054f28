"""The API reads a consistent snapshot while new ones are swapped in, and blocks nobody.

A real `python -m access` serves the snapshot over HTTP; reader threads ask it for every
store-day of the chain again and again while the main thread publishes, in turn, the full
warehouse and a copy without London. Each answer must be whole: exactly the rows of one of
the two snapshots, and the rows of the snapshot it names (`published_at_utc`). The
publisher never waits for the readers (it writes a new file and renames it), and a load or
a build never sees the API: it holds no handle on the warehouse.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import httpx

from footfall import services
from footfall.publish import publish
from tests.access.conftest import KEY


def _published(serving: Path) -> tuple[str, int]:
    """The snapshot's publication time and its number of store-days."""
    with duckdb.connect(str(serving), read_only=True) as con:
        (at,) = con.execute("select published_at_utc from serving_info").fetchone()
        (n_days,) = con.execute("select count(*) from fct_store_traffic_daily").fetchone()
    return at.isoformat(), n_days


def test_answers_stay_whole_while_snapshots_are_swapped(small_warehouse, tmp_path: Path) -> None:
    without_london = small_warehouse.copy(tmp_path / "without_london")
    with duckdb.connect(str(without_london.warehouse)) as con:
        con.execute("delete from fct_store_traffic_daily where store_id = 'london'")
    serving = tmp_path / "serving" / "serving.duckdb"
    publish(small_warehouse.warehouse, serving, small_warehouse.target_path, wait_s=30)
    at, full = _published(serving)
    expected = {at: full}

    port = services.free_port()
    env = {
        "FOOTFALL_SERVING": str(serving),
        "FOOTFALL_ACCESS_KEYS": KEY,
        "FOOTFALL_ACCESS_PORT": str(port),
    }
    seen: list[tuple[int, str, int]] = []
    stop = threading.Event()

    def read(url: str) -> None:
        with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=30) as http:
            while not stop.is_set():
                answer = http.get("/v1/traffic/stores/daily", params={"limit": 5000})
                body = answer.json() if answer.status_code == 200 else {}
                seen.append(
                    (
                        answer.status_code,
                        (body.get("snapshot") or {}).get("published_at_utc", answer.text),
                        body.get("n_rows", -1),
                    )
                )

    url = f"http://127.0.0.1:{port}"
    with services.running("access", env, f"{url}/health"):
        readers = [threading.Thread(target=read, args=(url,)) for _ in range(3)]
        for reader in readers:
            reader.start()
        swaps = []
        try:
            for i in range(8):
                chain = without_london if i % 2 == 0 else small_warehouse
                started = time.perf_counter()
                publish(chain.warehouse, serving, chain.target_path, wait_s=0)
                swaps.append(time.perf_counter() - started)
                at, n_days = _published(serving)
                assert n_days == (full if i % 2 else full // 2)
                expected[at] = n_days
                time.sleep(0.3)
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=60)

    assert len(seen) > 20, "the readers hardly got an answer"
    assert {status for status, _, _ in seen} == {200}, [s for s in seen if s[0] != 200][:3]
    versions = {at for _, at, _ in seen}
    assert len(versions) >= 3, "the readers did not see the snapshots change"
    for _, at, n_rows in seen:
        assert at in expected, f"an answer names a snapshot never published: {at}"
        assert n_rows == expected[at], f"{n_rows} rows from snapshot {at}: not whole"
    assert max(swaps) < 10, f"a publish waited for the readers: {swaps}"
