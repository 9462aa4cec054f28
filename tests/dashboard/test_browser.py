"""The dashboard in a real browser: `python -m dashboards` driven through Debian's Chromium.

Every page must render its charts without an error box; the screenshots land in
artifacts/screenshots/. Then the view must live in the URL, the CSV button must download
what the page shows, and a load and a build must run while the dashboard is open, whose new
data the open page shows once published.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from footfall import settings
from tests.conftest import REPO_ROOT
from tests.dashboard.conftest import run_dashboard

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
TITLES = {
    "": "Chain overview",
    "stores": "Stores",
    "sensors": "Sensors",
    "trends": "Weekday trends",
    "quality": "Data quality",
    "alerts": "Alerts",
}
# Streamlit marks its app with the script's state; lazily loaded elements (charts, tables)
# show a skeleton until their code has arrived.
RENDERED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('h1') !== null
        && !document.querySelector('[data-testid="stSkeleton"]')
        && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
            .every(c => c.querySelector('canvas, svg'));
}"""
ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = settings.dashboard().chromium
    if not chromium.exists():
        pytest.fail(
            f"Chromium is not at {chromium}: run `make browser` to install Debian's chromium "
            "(or set FOOTFALL_CHROMIUM to a Chromium binary)."
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def dashboard(published: Path) -> Iterator[str]:
    with run_dashboard(published) as url:
        yield url


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def wait_rendered(page: Page) -> None:
    """Wait until the script run is over, no element is still loading, every chart is drawn."""
    page.wait_for_function(RENDERED)


def assert_no_error_box(page: Page) -> None:
    boxes = page.locator(ERROR_BOXES)
    assert boxes.count() == 0, f"error box on {page.url}: {boxes.all_inner_texts()}"


def first_caption(page: Page) -> Locator:
    """The caption under the page's title, which says what the page shows."""
    return page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first


def caption(page: Page) -> str:
    return first_caption(page).inner_text()


def overview_caption(page: Page) -> str:
    """The overview's caption of its traffic figures ("... data up to ...")."""
    return (
        page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]')
        .filter(has_text="data up to")
        .first.inner_text()
    )


def test_every_page_renders_in_chromium(browser: Browser, dashboard: str) -> None:
    page = new_page(browser)
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(dashboard)
    wait_rendered(page)
    # Every page of the sidebar, the ones other parts add included (Alerts).
    links = page.locator('[data-testid="stSidebarNavLink"]')
    hrefs = links.evaluate_all("links => links.map(a => a.href)")
    paths = [href.removeprefix(dashboard).strip("/") for href in hrefs]
    assert set(TITLES) <= set(paths), paths
    for path in paths:
        page.goto(f"{dashboard}/{path}")
        wait_rendered(page)
        assert_no_error_box(page)
        title = page.locator("h1").first.inner_text()
        assert title == TITLES.get(path, title)
        assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1, path
        page.screenshot(path=SCREENSHOTS / f"{path or 'overview'}.png", full_page=True)
    assert not script_errors, script_errors
    page.context.close()


def test_the_view_lives_in_the_url_and_the_csv_is_what_is_shown(
    browser: Browser, dashboard: str
) -> None:
    page = new_page(browser)
    page.goto(f"{dashboard}/stores")
    wait_rendered(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Hourly", exact=True).click()
    expect(page).to_have_url(re.compile(r"/stores\?res=Hourly$"))
    expect(first_caption(page)).to_contain_text("Clean visits per hour")
    wait_rendered(page)
    sidebar.get_by_text("Raw", exact=True).click()
    expect(page).to_have_url(
        re.compile(r"/stores\?(res=Hourly&measure=Raw|measure=Raw&res=Hourly)$")
    )
    expect(first_caption(page)).to_contain_text("Raw visits per hour")
    wait_rendered(page)
    shared = page.url

    # The CSV button downloads the rows the page shows.
    n_rows = int(
        page.get_by_text("The data (").inner_text().split("(")[1].split()[0].replace(",", "")
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == n_rows > 24 * 7
    assert {r["store"] for r in rows} == {"London", "Madrid"}
    assert set(rows[0]) >= {"local_time", "visits_raw", "visits_clean", "data_quality_pct"}

    # Another page keeps the selection, and says so in its URL.
    sidebar.get_by_text("Sensors", exact=True).click()
    expect(page.locator("h1")).to_have_text("Sensors")
    expect(first_caption(page)).to_contain_text("Raw visits per hour and sensor")
    wait_rendered(page)
    assert "res=Hourly" in page.url and "measure=Raw" in page.url
    page.context.close()

    # The link opens the same view in a new session.
    other = new_page(browser)
    other.goto(shared)
    wait_rendered(other)
    assert_no_error_box(other)
    assert other.get_by_role("radio", name="Hourly").is_checked()
    assert caption(other).startswith("Raw visits per hour")
    other.context.close()


def _publish(chain, serving: Path) -> None:
    env = {
        **chain.env(),
        "FOOTFALL_SERVING": str(serving),
    }
    done = subprocess.run(
        [sys.executable, "-m", "footfall.publish"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_load_and_build_run_while_the_dashboard_is_open(
    small_warehouse, browser: Browser, tmp_path: Path
) -> None:
    chain = small_warehouse.copy(tmp_path / "chain")
    serving = tmp_path / "serving" / "serving.duckdb"
    _publish(chain, serving)
    with run_dashboard(serving) as url:
        page = new_page(browser)
        page.goto(url)
        wait_rendered(page)
        assert "data up to Mon 07 Apr 2025" in overview_caption(page)

        # Load two and a half more days and build, while the page is read again and again.
        later = chain.now + timedelta(days=2, hours=15)
        outcome: dict[str, object] = {}

        def pipeline() -> None:
            try:
                outcome["chain"] = chain.load(later).dbt_build()
            except BaseException as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=pipeline)
        worker.start()
        views = 0
        while worker.is_alive():
            page.reload()
            wait_rendered(page)
            assert_no_error_box(page)
            # The page shows the snapshot as published, whole, while the warehouse changes.
            assert "data up to Mon 07 Apr 2025" in overview_caption(page)
            views += 1
        worker.join()
        assert "error" not in outcome, outcome.get("error")
        built = outcome["chain"]
        assert built.build.returncode in (0, 1), built.build.failures()
        assert views >= 2

        # Published, the new data reaches the open page by itself (it watches the snapshot).
        _publish(built, serving)
        expect(page.get_by_text("data up to Wed 09 Apr 2025")).to_be_visible(timeout=30_000)
        wait_rendered(page)
        assert_no_error_box(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 1240})  # the whole overview
        wait_rendered(page)
        page.screenshot(path=SCREENSHOTS / "overview-after-update.png")
        page.context.close()


def test_every_page_of_a_100_store_chain_stays_readable(browser: Browser, fleet100: Path) -> None:
    """A 100-store snapshot: every page renders; the picker searches; the defaults fit."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with run_dashboard(fleet100) as url:
        page = new_page(browser)
        script_errors: list[str] = []
        page.on("pageerror", lambda exc: script_errors.append(str(exc)))
        for path, title in TITLES.items():
            page.goto(f"{url}/{path}")
            wait_rendered(page)
            assert_no_error_box(page)
            assert page.locator("h1").first.inner_text() == title
            assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1, path
            # The default selection fits a chart: the 8 biggest movers, not 100 stores.
            tags = page.get_by_test_id("stSidebar").locator(
                '[data-testid="stMultiSelectTagsContainer"] [data-tag]'
            )
            n_tags = tags.count()
            assert n_tags <= 8 if path == "sensors" else n_tags == 8, (path, n_tags)
            page.screenshot(
                path=SCREENSHOTS / f"100-stores-{path or 'overview'}.png", full_page=True
            )
        assert not script_errors, script_errors
        # The store picker searches by city and country.
        page.goto(f"{url}/stores")
        wait_rendered(page)
        picker = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
        picker.locator("input").fill("Tokyo")
        options = page.locator('[role="option"]')
        expect(options.first).to_be_visible()
        texts = [t for t in options.all_inner_texts() if not t.startswith("Select ")]
        assert texts and all("Tokyo" in t and t.endswith("· JP") for t in texts), texts
        page.context.close()


def test_an_injected_incident_shows_on_the_first_screen(
    small_warehouse, browser: Browser, tmp_path: Path
) -> None:
    """A door at 10 % and a silent door, injected in the simulator: after the next load and
    build, the first screen names both, and its alert links open their detail."""
    chain = small_warehouse.copy(tmp_path / "chain")
    later = chain.now + timedelta(hours=16)  # Monday 7 April 2025, 17:00 in London
    window = {"start_utc": "2025-04-07T00:00:00Z", "end_utc": "2025-04-08T00:00:00Z"}
    incident = [
        {"kind": "traffic", "store_id": "london", "sensor_id": 2, "factor": 0.1, **window},
        {"kind": "outage", "store_id": "london", "sensor_id": 5, **window},
    ]
    built = chain.load(later, scenarios=incident).dbt_build()
    serving = tmp_path / "serving" / "serving.duckdb"
    _publish(built, serving)
    with run_dashboard(serving) as url:
        page = new_page(browser)
        page.goto(url)
        wait_rendered(page)
        assert_no_error_box(page)
        main = page.get_by_test_id("stMain")
        # The silent door, by name, and London below its usual by raw counts (its clean
        # visits, which fill the broken door's hours with estimates, look normal).
        expect(main.get_by_text("London · Door 5").first).to_be_visible()
        expect(main.get_by_text(re.compile(r"London: counted \d+\.\d % of its"))).to_be_visible()
        expect(main.get_by_text(re.compile(r"doors far below: Door 2 \(\d+ %\)"))).to_be_visible()
        links = main.locator('[data-testid="stPageLink"]')
        labels = links.all_inner_texts()
        assert any("Silent door · London · Door 5" in t for t in labels), labels
        assert any("London · Door 2" in t for t in labels), labels
        n_open = int(
            main.get_by_test_id("stMetric")
            .first.locator('[data-testid="stMetricValue"]')
            .inner_text()
        )
        assert n_open == len(labels) >= 2
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "overview-incident.png", full_page=True)
        # An alert's link opens its detail: what fired, since when, traffic against baseline.
        links.filter(has_text="Silent door").first.click()
        expect(page.locator("h1")).to_have_text("Alerts")
        expect(page.get_by_text("Silent door: London · Door 5")).to_be_visible()
        wait_rendered(page)
        assert_no_error_box(page)
        assert "alert=" in page.url
        page.screenshot(path=SCREENSHOTS / "alert-detail.png", full_page=True)
        page.context.close()


def test_a_line_chart_shows_the_tooltip_of_the_nearest_point(
    browser: Browser, dashboard: str
) -> None:
    page = new_page(browser)
    page.goto(f"{dashboard}/stores?stores=Madrid")
    wait_rendered(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    box = chart.bounding_box()
    # Well below Madrid's line (its traffic sits near the top of its own axis): no mark there.
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.75)
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("Madrid")
    expect(tooltip).to_contain_text("clean visits")
    page.context.close()
