"""Dashboard benchmark: each page's queries and first render, on the default fleet's full
history or (`--stores 100`) on a 100-store chain.

`python -m bench dashboard [--stores N]`. Targets (issues 5 and 10): each page's queries at
most 300 ms; a page's first render in the browser at most 2 s on a quiet machine (median of
three). The snapshot is made the way a user makes it: a real simulator whose clock stands at
2026-11-01 (with `FOOTFALL_SIM_STORES=N` for N stores), the real loader, `dbt build`, `python
-m footfall.publish`. The default fleet loads its full history; a larger chain the last
FLEET_WEEKS weeks (the dbt spine starts there too), which keeps the build to a minute. It is
kept under .run/bench/dashboard[-N]/ and reused while the dbt project and the clock are
unchanged (delete that folder to rebuild).

Query times are those of `dashboards.page_data` (what each page reads) with the default
selection, on one connection as a run of the page opens it, without the dashboard's cache,
best of 5. Render times are measured in Debian's Chromium from navigation to the last chart
drawn, each page on a freshly started dashboard (so that its queries run for the first time)
in a browser that has Streamlit's scripts in its cache, three times; the median is judged.
The very first visit of a browser that has never seen the dashboard is printed too. Every
figure is printed with the machine's 1-minute load average at that moment: wall times on a
busy machine are not those of a quiet one.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from bench.loader import NOW
from dashboards import page_data, queries, snapshot
from footfall import services, settings
from footfall.publish import publish

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK = REPO_ROOT / ".run" / "bench" / "dashboard"
QUERY_TARGET_MS = 300.0
RENDER_TARGET_S = 2.0
RENDER_RUNS = 3
INTERACTION_TARGET_S = 1.0
# Interactions timed on an open page: (page, what is clicked in the sidebar, URL it leads to).
INTERACTIONS = (
    ("stores", "Weekly", "res=Weekly"),
    ("stores", "Raw", "measure=Raw"),
    ("sensors", "Hourly", "res=Hourly"),
)
FLEET_WEEKS = 10  # weeks of history loaded for a chain larger than the default fleet
PAGE_PATHS = {"overview": "", "stores": "stores", "sensors": "sensors", "trends": "trends"}
PAGE_PATHS["quality"] = "quality"
PAGE_PATHS["alerts"] = "alerts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
RENDERED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('h1') !== null
        && !document.querySelector('[data-testid="stSkeleton"]')
        && document.querySelectorAll('[data-testid="stVegaLiteChart"]').length > 0
        && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .every(c => c.querySelector('canvas, svg'));
}"""


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _load() -> str:
    """The 1-minute load average, to print beside a figure."""
    return f"load {os.getloadavg()[0]:.1f}"


def _stamp(n_stores: int) -> str:
    """What the snapshot depends on: the clock, the fleet and every file of the dbt project."""
    digest = hashlib.sha256(f"{NOW} {n_stores} {FLEET_WEEKS}".encode())
    for path in sorted((REPO_ROOT / "dbt_project").rglob("*")):
        if path.is_file() and "target" not in path.parts and "logs" not in path.parts:
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def bench_snapshot(n_stores: int = 5) -> Path:
    """The published snapshot of the fleet (built once, then reused): the default fleet's
    full history, or the last FLEET_WEEKS weeks of a larger synthetic chain."""
    work = WORK if n_stores == 5 else WORK.with_name(f"dashboard-{n_stores}")
    serving, stamp_file = work / "serving.duckdb", work / "stamp"
    stamp = _stamp(n_stores)
    if serving.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        print(f"snapshot: reusing {serving}")
        return serving
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse, target = work / "warehouse.duckdb", work / "target"
    env = {
        **os.environ,
        "FOOTFALL_WAREHOUSE": str(warehouse),
        "DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    load_args: list[str] = []
    dbt_args: list[str] = []
    if n_stores != 5:
        now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
        first = (now - timedelta(weeks=FLEET_WEEKS)).date()
        first -= timedelta(days=first.weekday())  # a Monday
        # From a day before (UTC) so that the first local day is whole east of UTC.
        load_args = ["--start", (first - timedelta(days=1)).isoformat()]
        dbt_args = ["--vars", json.dumps({"footfall_start_date": first.isoformat()})]
    started = time.perf_counter()
    with services.simulator({"FOOTFALL_SIM_NOW": NOW, "FOOTFALL_SIM_STORES": str(n_stores)}) as url:
        _run(
            [sys.executable, "-m", "loaders", "-q", *load_args],
            {**env, "FOOTFALL_API_URL": url},
            "load",
        )
    loaded = time.perf_counter()
    _run([str(Path(sys.executable).parent / "dbt"), "build", *dbt_args], env, "dbt build")
    built = time.perf_counter()
    summary = publish(warehouse, serving, target)
    print(
        f"snapshot: {n_stores} stores built in {time.perf_counter() - started:.0f} s (load "
        f"{loaded - started:.0f} s, dbt build {built - loaded:.0f} s, publish "
        f"{summary.duration_s:.1f} s): {summary.tables['fct_sensor_traffic_hourly']:,} "
        "sensor-hours"
    )
    stamp_file.write_text(stamp)
    return serving


def full_history_snapshot() -> Path:
    """The published snapshot of the default fleet's full history."""
    return bench_snapshot(5)


def _run(command: list[str], env: dict[str, str], title: str) -> None:
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        raise RuntimeError(f"{title} failed ({done.returncode}):\n{tail}")


def _best_ms(fn, n: int = 5) -> float:
    best = float("inf")
    for _ in range(n):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return 1000 * best


def query_times(serving: Path) -> dict[str, float]:
    """Each page's queries with the default selection (the catalog included), best of 5, ms."""
    cat = queries.catalog(functools.partial(snapshot.read, serving))
    cases = {name: page_data.default_selection(cat) for name in page_data.PAGES}
    hourly = page_data.default_selection(cat, resolution="hourly")
    weekly = page_data.default_selection(cat, resolution="weekly")
    variants = [("stores, hourly", hourly), ("sensors, hourly", hourly)]
    variants += [("stores, weekly", weekly), ("sensors, weekly", weekly)]
    times = {}
    for name, sel in [*cases.items(), *variants]:
        load = page_data.PAGES[name.split(",")[0]]

        def page(load=load, sel=sel) -> None:
            with snapshot.connect(serving) as con:

                def q(sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
                    return con.execute(sql, list(params)).df()

                load(q, queries.catalog(q), sel)

        page()  # the file in the OS cache, as on a running machine
        times[name] = _best_ms(page)
    return times


def dashboard(serving: Path, port: int) -> contextlib.AbstractContextManager[str]:
    """`python -m dashboards` on the port over the snapshot; yields its URL."""
    return services.dashboard({"FOOTFALL_SERVING": str(serving)}, port=port)


def _visit(context, url: str) -> float:
    """Seconds from navigation to the last chart drawn, in a new page of the browser context."""
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(RENDERED, timeout=60_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def render_times(serving: Path, runs: int = RENDER_RUNS) -> tuple[float, dict[str, list]]:
    """The very first visit of a new browser, then each page's first render on a fresh
    server, `runs` times: {page: [(seconds, load average), ...]}."""
    from playwright.sync_api import sync_playwright

    chromium = settings.dashboard().chromium
    if not chromium.exists():
        raise RuntimeError(f"Chromium is not at {chromium}: run `make browser`")
    port = services.free_port()  # one address, so that the browser's cache serves every server
    times: dict[str, list] = {name: [] for name in PAGE_PATHS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        with dashboard(serving, port) as url:
            cold = _visit(context, f"{url}/")
        for _ in range(runs):
            for name, path in PAGE_PATHS.items():
                with dashboard(serving, port) as url:
                    times[name].append((_visit(context, f"{url}/{path}"), os.getloadavg()[0]))
        browser.close()
    return cold, times


def picture(serving: Path, path: Path) -> None:
    """A screenshot of the chain overview on the snapshot, at the size of a laptop screen."""
    from playwright.sync_api import sync_playwright

    path.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, dashboard(serving, services.free_port()) as url:
        browser = p.chromium.launch(
            executable_path=str(settings.dashboard().chromium), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1240})
        page.goto(f"{url}/")
        page.wait_for_function(RENDERED, timeout=60_000)
        page.screenshot(path=path)
        browser.close()


# Set a flag when the script state of the app changes: the click's rerun has begun (without
# it, the page could count as redrawn before the rerun even started).
WATCH_RERUN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__footfallRerun = false;
    new MutationObserver(() => { window.__footfallRerun = true; })
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def interaction_times(serving: Path) -> dict[str, float]:
    """Seconds from a click in the sidebar to the page redrawn, on an open page (the page's
    first queries already cached, as after its first render)."""
    from playwright.sync_api import sync_playwright

    times = {}
    with sync_playwright() as p, dashboard(serving, services.free_port()) as url:
        browser = p.chromium.launch(
            executable_path=str(settings.dashboard().chromium), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        for path, label, param in INTERACTIONS:
            page.goto(f"{url}/{path}")
            page.wait_for_function(RENDERED, timeout=60_000)
            page.evaluate(WATCH_RERUN)
            started = time.perf_counter()
            page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()
            page.wait_for_url(f"**{param}**", timeout=60_000)
            page.wait_for_function("() => window.__footfallRerun === true", timeout=60_000)
            page.wait_for_function(RENDERED, timeout=60_000)
            times[f"{path}: {label}"] = time.perf_counter() - started
        browser.close()
    return times


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard")
    parser.add_argument(
        "--stores",
        type=int,
        default=5,
        help="stores of the chain (FOOTFALL_SIM_STORES): 5 is the default fleet's full "
        f"history, more the last {FLEET_WEEKS} weeks of a synthetic chain",
    )
    parser.add_argument(
        "--picture",
        type=Path,
        help="also save a screenshot of the chain overview there (the README's picture)",
    )
    args = parser.parse_args(list(argv or []))
    load1, _, _ = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load1:.1f}")
    serving = bench_snapshot(args.stores)
    for name, ms in query_times(serving).items():
        print(
            f"queries of {name}: {ms:.0f} ms "
            f"(target <= {QUERY_TARGET_MS:.0f} ms: {_verdict(ms <= QUERY_TARGET_MS)}; {_load()})"
        )
    if args.picture:
        picture(serving, args.picture)
        print(f"picture: {args.picture}")
    for name, seconds in interaction_times(serving).items():
        print(
            f"interaction, {name}: {seconds:.2f} s (target <= {INTERACTION_TARGET_S:g} s: "
            f"{_verdict(seconds <= INTERACTION_TARGET_S)}; {_load()})"
        )
    cold, times = render_times(serving)
    print(
        f"very first visit of a new browser (Streamlit's scripts not cached): {cold:.2f} s "
        f"({_load()})"
    )
    for name, measured in times.items():
        seconds = statistics.median(s for s, _ in measured)
        each = ", ".join(f"{s:.2f} s at load {la:.1f}" for s, la in measured)
        print(
            f"first render of {name}: {seconds:.2f} s, median of {len(measured)} "
            f"(target <= {RENDER_TARGET_S:g} s: {_verdict(seconds <= RENDER_TARGET_S)}; {each})"
        )
