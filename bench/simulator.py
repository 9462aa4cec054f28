"""Simulator benchmark: in-process generation rate and the whole fleet's history over HTTP.

Targets (issue 2): generation >= 5 million readings/s on the 2-core CI machine; the default
fleet's whole history since opening (about 3 million readings, FOOTFALL_SIM_NOW fixed at
2026-11-01) served to a client over loopback in <= 5 s. The original API answered one reading
per request, about 500 readings/s: the ratio is printed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import orjson

from footfall import services
from simulator.fleet import default_fleet, fleet
from simulator.model import ModelConfig, generate
from simulator.profile import Profile

NOW = "2026-11-01T00:00:00Z"
GEN_TARGET = 5_000_000  # readings per second, in process
HTTP_TARGET_S = 5.0  # whole default fleet over loopback
ORIGINAL_RATE = 500  # readings per second of the original API
REPO_ROOT = Path(__file__).resolve().parent.parent


def _best_of(n: int, fn) -> tuple[float, float, int]:
    """The fastest of n runs of fn() -> readings: (wall seconds, CPU seconds, readings)."""
    wall, cpu, count = float("inf"), float("inf"), 0
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        count = fn()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu, count


def _generate_fleet(config: ModelConfig) -> int:
    return sum(
        len(generate(s, "2000-01-01", NOW, config=config)["visits"]) for s in default_fleet()
    )


def _fetch_fleet(url: str, page_size: int) -> tuple[int, int]:
    """Every reading of every store since its opening, as a client would: (readings, pages)."""
    n, pages = 0, 0
    with httpx.Client(base_url=url, timeout=60) as client:
        stores = client.get("/api/v1/stores").json()["stores"]
        for store in stores:
            params = {
                "store_id": store["store_id"],
                "start": store["opened_at_utc"],
                "end": NOW,
                "page_size": page_size,
            }
            cursor = None
            while True:
                q = params | ({"cursor": cursor} if cursor else {})
                r = client.get("/api/v1/readings", params=q)
                r.raise_for_status()
                body = orjson.loads(r.content)
                n += len(body["readings"]["visits"])
                pages += 1
                cursor = body["next_cursor"]
                if cursor is None:
                    break
    return n, pages


def run() -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (wall times suffer under load)")
    print(f"in-process generation, default fleet since opening, now = {NOW}:")
    for name in ("flat", "realistic"):
        config = ModelConfig(profile=Profile.preset(name))
        _generate_fleet(config)  # warm-up
        wall, cpu, n = _best_of(10, lambda c=config: _generate_fleet(c))
        rate = n / wall
        verdict = "OK" if rate >= GEN_TARGET else "BELOW TARGET"
        print(
            f"  {name:9s} {n:,} readings in {wall:.3f} s = {rate / 1e6:.1f} M readings/s "
            f"(target >= {GEN_TARGET / 1e6:.0f} M/s: {verdict}); "
            f"CPU {cpu:.3f} s = {n / cpu / 1e6:.1f} M readings per CPU-second"
        )

    stores = fleet(100)
    wall, cpu, n = _best_of(
        3, lambda: sum(len(generate(s, "2025-01-01", NOW)["visits"]) for s in stores)
    )
    print(
        f"  synthetic fleet of {len(stores)} stores, 2025-01-01 to now: {n:,} readings in "
        f"{wall:.3f} s = {n / wall / 1e6:.1f} M readings/s (CPU {n / cpu / 1e6:.1f} M/s)"
    )

    print("over loopback HTTP (python -m simulator, realistic profile), client parses JSON:")
    with services.simulator({"FOOTFALL_SIM_NOW": NOW}) as url:
        _fetch_fleet(url, 1_000_000)  # warm-up
        for page_size in (1_000_000, 100_000):
            started = time.perf_counter()
            n, pages = _fetch_fleet(url, page_size)
            seconds = time.perf_counter() - started
            verdict = "OK" if seconds <= HTTP_TARGET_S else "ABOVE TARGET"
            ratio = (n / seconds) / ORIGINAL_RATE
            print(
                f"  page_size {page_size:>9,}: {n:,} readings in {pages} pages, {seconds:.2f} s = "
                f"{n / seconds / 1e6:.2f} M readings/s (target <= {HTTP_TARGET_S:.0f} s: "
                f"{verdict}); {ratio:,.0f}x the original API's {ORIGINAL_RATE} readings/s"
            )


if __name__ == "__main__":
    run()
