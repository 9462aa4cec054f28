"""Shared fixtures: a real simulator process on a free loopback port, and the --runslow switch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from footfall import services
from footfall.services import free_port as free_port  # the tests take it from here

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: opt in with --runslow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@contextlib.contextmanager
def run_simulator(env: dict[str, str] | None = None, timeout_s: float = 30.0) -> Iterator[str]:
    """Start `python -m simulator` on a free port with extra environment; yield its base URL."""
    with services.simulator(env, timeout_s=timeout_s) as url:
        yield url


@pytest.fixture
def simulator_factory() -> Iterator:
    """Call with an env dict to start a simulator; every one started is stopped at teardown."""
    stack = contextlib.ExitStack()

    def start(env: dict[str, str] | None = None) -> str:
        return stack.enter_context(run_simulator(env))

    with stack:
        yield start


# The small real warehouse shared by every part's tests (tests/chain.py builds it). Two stores:
# Madrid (1 sensor) and London (8 sensors, the highest anomaly rate), 26 weeks from a Monday,
# over both DST changes of the window (25-hour 2024-10-27, 23-hour 2025-03-30).
SMALL_WAREHOUSE_STORES = ("madrid", "london")
SMALL_WAREHOUSE_START = "2024-10-07"
SMALL_WAREHOUSE_NOW = "2025-04-07T00:00:00Z"


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory):  # -> tests.chain.Chain
    """A warehouse built once per session by the real chain: simulator, loader, `dbt build`.

    Read it, never change it (other tests share it): to change one, `small_warehouse.copy(dir)`.
    `small_warehouse.build` holds the result of its `dbt build` (failing data tests included).
    """
    from datetime import date, datetime

    from tests.chain import build_chain

    return build_chain(
        tmp_path_factory.mktemp("small_warehouse"),
        stores=SMALL_WAREHOUSE_STORES,
        start=date.fromisoformat(SMALL_WAREHOUSE_START),
        now=datetime.fromisoformat(SMALL_WAREHOUSE_NOW),
    )
