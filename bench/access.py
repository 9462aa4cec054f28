"""Read API benchmark: answers of `python -m access` over HTTP on the default fleet's history.

Targets (issue 12): a day of hourly sensor traffic for one store (London, 8 sensors) and a
year of daily store traffic (every store) at most 100 ms each, as JSON; a full-history
Parquet export of the daily store mart (following the cursor to the end) at most 2 s. The
snapshot is the dashboard benchmark's (a real simulator at 2026-11-01, the loader, `dbt
build`, `python -m footfall.publish`, kept under .run/bench/dashboard/). The API runs as a
user starts it, on a free loopback port; each figure is the median of 5 runs after one
warm-up request (the file in the OS cache, as on a running machine), wall time from the
request to the last byte.
"""

from __future__ import annotations

import io
import os
import statistics
import time

import httpx
import pyarrow.parquet as pq

from bench.dashboard import full_history_snapshot
from footfall import services

QUERY_TARGET_MS = 100.0
EXPORT_TARGET_S = 2.0
KEY = "bench-key"
RUNS = 5


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _median_s(fn, runs: int = RUNS) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _export(http: httpx.Client) -> int:
    """Every row of the daily store mart as Parquet, page after page; the number of rows."""
    rows, cursor = 0, None
    while True:
        params = {"format": "parquet", "limit": 100_000, **({"cursor": cursor} if cursor else {})}
        answer = http.get("/v1/traffic/stores/daily", params=params)
        answer.raise_for_status()
        rows += pq.read_metadata(io.BytesIO(answer.content)).num_rows
        cursor = answer.headers.get("X-Next-Cursor")
        if not cursor:
            return rows


def run() -> None:
    serving = full_history_snapshot()
    port = services.free_port()
    env = {
        "FOOTFALL_SERVING": str(serving),
        "FOOTFALL_ACCESS_KEYS": KEY,
        "FOOTFALL_ACCESS_PORT": str(port),
    }
    url = f"http://127.0.0.1:{port}"
    with (
        services.running("access", env, f"{url}/health"),
        httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=60) as http,
    ):
        last_day = http.get("/health").json()["stores"]
        day = min(s["last_hour_start_local"] for s in last_day)[:10]
        year_end = day
        year_start = f"{int(day[:4]) - 1}{day[4:]}"

        def hourly_day() -> int:
            params = {"stores": "london", "start_date": day, "end_date": day}
            answer = http.get("/v1/traffic/sensors/hourly", params=params)
            answer.raise_for_status()
            return answer.json()["n_rows"]

        def daily_year() -> int:
            params = {"start_date": year_start, "end_date": year_end, "limit": 100_000}
            answer = http.get("/v1/traffic/stores/daily", params=params)
            answer.raise_for_status()
            return answer.json()["n_rows"]

        load1, _, _ = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, load average {load1:.1f}")
        for title, fn, unit in [
            (f"a day of hourly sensor traffic, London, {day} (JSON)", hourly_day, "rows"),
            (
                f"a year of daily store traffic, every store, {year_start}..{year_end} (JSON)",
                daily_year,
                "rows",
            ),
        ]:
            seconds, n = _median_s(fn)
            ms = 1000 * seconds
            print(
                f"{title}: {ms:.0f} ms for {n:,} {unit}, median of {RUNS} "
                f"(target <= {QUERY_TARGET_MS:.0f} ms: {_verdict(ms <= QUERY_TARGET_MS)}; "
                f"load average {os.getloadavg()[0]:.1f})"
            )
        seconds, n = _median_s(lambda: _export(http), runs=3)
        print(
            f"full-history Parquet export of fct_store_traffic_daily: {seconds:.2f} s for "
            f"{n:,} rows, median of 3 (target <= {EXPORT_TARGET_S:g} s: "
            f"{_verdict(seconds <= EXPORT_TARGET_S)}; load average {os.getloadavg()[0]:.1f})"
        )
