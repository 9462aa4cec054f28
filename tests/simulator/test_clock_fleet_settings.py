"""The clock, the synthetic fleet and the simulator's settings."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from footfall.settings import SettingError, SimulatorSettings
from simulator.clock import Clock
from simulator.fleet import default_fleet, fleet
from simulator.model import generate


def test_real_clock_by_default() -> None:
    clock = Clock.configured(None, None)
    assert clock.mode == "running"
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 2


def test_fixed_clock_stands_still() -> None:
    clock = Clock.configured("2024-01-08T10:30:00Z", None)
    first = clock.now()
    time.sleep(0.05)
    assert clock.now() == first == datetime(2024, 1, 8, 10, 30, tzinfo=UTC)
    assert clock.ended_hours() * 3600 == int(datetime(2024, 1, 8, 10, tzinfo=UTC).timestamp())


def test_accelerated_clock_runs_speed_times_faster() -> None:
    clock = Clock.configured("2024-01-08T00:00:00Z", 3600.0)  # an hour per real second
    started = time.monotonic()
    time.sleep(0.3)
    real = time.monotonic() - started
    simulated = (clock.now() - datetime(2024, 1, 8, tzinfo=UTC)).total_seconds()
    assert 3600 * real * 0.9 <= simulated <= 3600 * (real + 0.2)
    assert Clock.configured(None, 60.0).mode == "accelerated"


def test_accelerated_api_grows_the_feed(make_client) -> None:
    c = make_client(now="2024-01-08T09:59:00Z", speed=3600.0)
    params = {"store_id": "madrid", "start": "2024-01-08", "end": "2024-01-09"}
    first = c.get("/api/v1/readings", params=params).json()["n_readings"]
    time.sleep(2.2)  # two simulated hours and more
    later = c.get("/api/v1/readings", params=params).json()["n_readings"]
    assert later >= first + 2


def test_bad_now_names_the_variable() -> None:
    with pytest.raises(ValueError, match="FOOTFALL_SIM_NOW"):
        Clock.configured("last tuesday", None)


def test_synthetic_fleet_is_deterministic_and_extends_the_default() -> None:
    a, b = fleet(60), fleet(60)
    assert a == b
    assert a[:5] == default_fleet()
    assert len({s.store_id for s in a}) == 60
    assert fleet(3) == default_fleet()[:3]
    for s in a[5:]:
        assert 1 <= s.n_sensors <= 24 and 2014 <= s.opened_on.year <= 2024
        assert s.std_visits == pytest.approx(0.15 * s.mean_visits)
    # The synthetic stores generate like any other.
    d = generate(a[42], "2025-01-06", "2025-01-07")
    assert len(d["visits"]) <= 24 * a[42].n_sensors
    with pytest.raises(ValueError, match="at least 1"):
        fleet(0)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FOOTFALL_SIM_NOW", "FOOTFALL_SIM_SPEED", "FOOTFALL_SIM_PROFILE_OFF"):
        monkeypatch.delenv(name, raising=False)
    s = SimulatorSettings.from_env()
    assert (s.now, s.speed) == (None, None)
    monkeypatch.setenv("FOOTFALL_SIM_PORT", "8123")
    monkeypatch.setenv("FOOTFALL_SIM_PROFILE_OFF", "trend, outages")
    monkeypatch.setenv("FOOTFALL_SIM_FAULT_5XX", "0.2")
    s = SimulatorSettings.from_env()
    assert (s.port, s.profile_off, s.fault_5xx) == (8123, ("trend", "outages"), 0.2)
    monkeypatch.setenv("FOOTFALL_SIM_FAULT_5XX", "20")
    with pytest.raises(SettingError, match="FOOTFALL_SIM_FAULT_5XX"):
        SimulatorSettings.from_env()
    monkeypatch.setenv("FOOTFALL_SIM_FAULT_5XX", "0")
    monkeypatch.setenv("FOOTFALL_SIM_STORES", "0")
    with pytest.raises(SettingError, match="FOOTFALL_SIM_STORES"):
        SimulatorSettings.from_env()
    monkeypatch.setenv("FOOTFALL_SIM_STORES", "5")
    monkeypatch.setenv("FOOTFALL_SIM_SPEED", "-1")
    with pytest.raises(SettingError, match="FOOTFALL_SIM_SPEED"):
        SimulatorSettings.from_env()
    monkeypatch.setenv("FOOTFALL_SIM_SPEED", "60")
    monkeypatch.setenv("FOOTFALL_SIM_FAULT_RETRY_AFTER_S", "1.5")
    with pytest.raises(SettingError, match="FOOTFALL_SIM_FAULT_RETRY_AFTER_S"):
        SimulatorSettings.from_env()
