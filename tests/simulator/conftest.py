"""Fixtures of the simulator's tests: settings built in the test, in-process API clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from footfall.settings import SimulatorSettings
from simulator.api import create_app

#: The fixed "now" of the tests (the benchmark's too): every default store has history.
NOW = "2026-11-01T00:00:00Z"


def sim_settings(**overrides: Any) -> SimulatorSettings:
    """Simulator settings independent of the environment: fixed now, no faults."""
    base = SimulatorSettings(
        host="127.0.0.1",
        port=8000,
        now=NOW,
        speed=None,
        profile="realistic",
        profile_off=(),
        seed=2024,
        n_stores=5,
        fault_5xx=0.0,
        fault_429=0.0,
        fault_retry_after_s=1,
        fault_latency_ms=0.0,
        fault_truncated=0.0,
        fault_malformed=0.0,
        fault_duplicates=0.0,
        fault_bad_rows=0.0,
    )
    return replace(base, **overrides)


@pytest.fixture
def make_client() -> Iterator:
    """Call with setting overrides to get an in-process client of a fresh simulator."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(sim_settings(**overrides)))
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """A fault-free simulator with the realistic profile and the fixed NOW, shared by a module."""
    with TestClient(create_app(sim_settings())) as c:
        yield c
