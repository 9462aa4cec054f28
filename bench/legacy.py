"""The original protocol, both ways: the simulator's original endpoint and the legacy loader.

Targets (issue 13):
- the endpoint serves at least twice the original application's request rate, measured on
  this machine with the same clients: 300 requests/s with a keep-alive client, 215 with a new
  connection per request;
- the legacy loader (`python -m loaders --source legacy`) reads at least five times as fast as
  a sequential client that opens a new connection per request (the original downloader's
  way), both against the simulator's original endpoint in this run.

Requests follow the original downloader: every local hour of a store, every sensor of that
hour, one request each. Figures are medians of RUNS runs; the load average is printed since
the machine is shared.
"""

from __future__ import annotations

import http.client
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from footfall import services
from loaders.load import LoadOptions, run_load

NOW = "2026-11-01T00:00:00Z"
RUNS = 3
#: Rounds of (legacy loader, sequential baselines) for the loader's ratio.
LOADER_ROUNDS = 5
#: The original application on this machine (issue 13): requests/s.
ORIGINAL_KEEPALIVE = 300.0
ORIGINAL_NEW_CONNECTION = 215.0
ENDPOINT_TARGET = 2.0
LOADER_TARGET = 5.0
STORE, N_SENSORS = "Paris", 20
#: The loader's window: two weeks of Paris, 14 * 24 * 20 = 6 720 requests.
LOADER_START, LOADER_END = datetime(2026, 6, 1), datetime(2026, 6, 15)
REPO_ROOT = Path(__file__).resolve().parent.parent


def downloader_targets(start: datetime, n: int, per_sensor: bool = True) -> list[str]:
    """The first n requests of the original downloader from `start` (local hours)."""
    out: list[str] = []
    moment = start
    while len(out) < n:
        base = (
            f"/?store_name={STORE}&year={moment.year}&month={moment.month}"
            f"&day={moment.day}&hour={moment.hour}"
        )
        if per_sensor:
            out.extend(f"{base}&sensor_id={s}" for s in range(N_SENSORS))
        else:
            out.append(base)
        moment += timedelta(hours=1)
    return out[:n]


def keepalive_rate(url: str, targets: list[str]) -> float:
    """Requests/s of one client on one keep-alive connection, one request at a time."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    started = time.perf_counter()
    for target in targets:
        conn.request("GET", target)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"GET {target} answered {answer.status}")
    seconds = time.perf_counter() - started
    conn.close()
    return len(targets) / seconds


def new_connection_rate(url: str, targets: list[str]) -> float:
    """Requests/s of a client that opens a new connection for every request, one at a time."""
    parts = urlsplit(url)
    started = time.perf_counter()
    for target in targets:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", target)
        answer = conn.getresponse()
        answer.read()
        conn.close()
        if answer.status != 200:
            raise RuntimeError(f"GET {target} answered {answer.status}")
    return len(targets) / (time.perf_counter() - started)


def fresh_client_rate(url: str, targets: list[str]) -> float:
    """Requests/s of a library client made anew for every request (`requests.get(url)` in the
    original downloader; here httpx, plain http without a TLS context), one at a time."""
    started = time.perf_counter()
    for target in targets:
        with httpx.Client(base_url=url, verify=False, timeout=30) as client:
            answer = client.get(target)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {target} answered {answer.status_code}")
    return len(targets) / (time.perf_counter() - started)


def legacy_load_rate(url: str, tmp: Path, run: int) -> tuple[float, int]:
    """(requests/s, rows) of the legacy loader over a loader window, into a new warehouse.

    Run `run` reads the window shifted by `run` times its length: hours nobody asked before.
    """
    shift = run * (LOADER_END - LOADER_START)
    options = LoadOptions(
        warehouse=tmp / f"legacy-{run}.duckdb",
        api_url=url,
        start=LOADER_START + shift,
        end=LOADER_END + shift,
        stores=("paris",),
        source="legacy",
        fleet=REPO_ROOT / "loaders" / "fleets" / "default.yaml",
        now=datetime.fromisoformat(NOW.rstrip("Z")),
    )
    started = time.perf_counter()
    result = run_load(options)
    seconds = time.perf_counter() - started
    n_requests = int((LOADER_END - LOADER_START) / timedelta(hours=1)) * N_SENSORS
    return n_requests / seconds, result.total().n_rows


def _median(fn: Callable[[int], float]) -> tuple[float, list[float]]:
    """The median of RUNS runs of fn(run number), and each run's figure."""
    values = [fn(i) for i in range(RUNS)]
    return statistics.median(values), values


def _fresh(start: datetime, n: int, per_sensor: bool = True) -> Callable[[int], list[str]]:
    """Run i asks n requests after those of run i - 1: hours the simulator has not computed."""
    hours = -(-n // N_SENSORS) if per_sensor else n
    return lambda i: downloader_targets(start + timedelta(hours=i * hours), n, per_sensor)


def _shown(values: list[float]) -> str:
    return ", ".join(f"{v:,.0f}" for v in values)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run() -> None:
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (rates suffer under load)")
    with services.simulator({"FOOTFALL_SIM_NOW": NOW}) as url:
        print(f"the original endpoint (python -m simulator, now {NOW}), medians of {RUNS} runs:")
        # Every figure asks hours of its own, never asked before in this run (the simulator
        # keeps recent hours' readings: a re-asked hour would be cheaper than the first ask).
        keepalive_rate(url, downloader_targets(datetime(2023, 6, 1), 200))  # warm-up
        figures = (
            ("keep-alive client", ORIGINAL_KEEPALIVE, keepalive_rate, datetime(2024, 1, 1)),
            (
                "new connection per request",
                ORIGINAL_NEW_CONNECTION,
                new_connection_rate,
                datetime(2024, 7, 1),
            ),
        )
        for label, original, fn, start in figures:
            sensors = _fresh(start, 2000)  # 100 hours a run
            totals = _fresh(start + timedelta(days=31), 1000, per_sensor=False)
            rate, runs = _median(lambda i, fn=fn, t=sensors: fn(url, t(i)))
            ratio = rate / original
            verdict = "ok" if ratio >= ENDPOINT_TARGET else "MISSED"
            print(
                f"  {label:27s} {rate:7,.0f} requests/s ({_shown(runs)}), the original "
                f"{original:.0f}: {ratio:.1f}x (target >= {ENDPOINT_TARGET:g}x: {verdict})"
            )
            total_rate, runs = _median(lambda i, fn=fn, t=totals: fn(url, t(i)))
            print(
                f"  {'':27s} {total_rate:7,.0f} requests/s ({_shown(runs)}) asking store "
                f"totals, a new hour each: {total_rate / original:.1f}x"
            )
        print(f"  load average {_load()}")

        print(
            f"the legacy loader, {STORE} {LOADER_START:%Y-%m-%d}..{LOADER_END:%Y-%m-%d} "
            f"({int((LOADER_END - LOADER_START) / timedelta(hours=1)) * N_SENSORS:,} requests), "
            f"against a sequential client with a new connection per request:"
        )
        baselines = (
            ("sequential, new connection (http.client)", new_connection_rate, 2000),
            ("sequential, a new httpx client per request", fresh_client_rate, 600),
        )
        # Interleaved (loader, baselines) rounds: each ratio compares figures taken within
        # seconds of each other, so a change of the machine's load hits both sides alike.
        loads: list[tuple[float, int]] = []
        seq: list[list[float]] = [[] for _ in baselines]
        with tempfile.TemporaryDirectory(prefix="footfall-bench-legacy-") as tmp:
            for i in range(LOADER_ROUNDS):
                loads.append(legacy_load_rate(url, Path(tmp), i))
                for j, (_, fn, n) in enumerate(baselines):
                    targets = _fresh(datetime(2025, 3, 1) + timedelta(days=61 * j), n)
                    seq[j].append(fn(url, targets(i)))
        load_rates = [r for r, _ in loads]
        print(
            f"  legacy loader {statistics.median(load_rates):7,.0f} requests/s "
            f"({_shown(load_rates)}; {loads[0][1]:,} readings landed per run, "
            "DuckDB writes included)"
        )
        for (label, _, _), rates in zip(baselines, seq, strict=True):
            ratios = [a / b for a, b in zip(load_rates, rates, strict=True)]
            ratio = statistics.median(ratios)
            verdict = "ok" if ratio >= LOADER_TARGET else "MISSED"
            print(
                f"  {label}: {statistics.median(rates):,.0f} requests/s ({_shown(rates)}); "
                f"the loader is {ratio:.1f}x faster, median of the rounds' ratios "
                f"({', '.join(f'{r:.1f}' for r in ratios)}; target >= {LOADER_TARGET:g}x: "
                f"{verdict})"
            )
        print(f"  load average {_load()}")


if __name__ == "__main__":
    run()
