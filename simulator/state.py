"""What a running simulator holds: its fleet, clock, model config, faults and scenarios."""

from __future__ import annotations

import random
import threading
from dataclasses import replace

from fastapi import HTTPException, Request

from footfall.settings import SimulatorSettings
from simulator.clock import Clock
from simulator.faults import FaultSettings
from simulator.fleet import Store, fleet
from simulator.model import ModelConfig
from simulator.profile import Profile
from simulator.scenarios import Scenario


class SimulatorState:
    """Everything a running simulator holds: fleet, clock, model config, faults, scenarios."""

    def __init__(self, settings: SimulatorSettings) -> None:
        profile = Profile.preset(settings.profile).without(*settings.profile_off)
        self.settings = settings
        self.stores: dict[str, Store] = {s.store_id: s for s in fleet(settings.n_stores)}
        self.clock = Clock.configured(settings.now, settings.speed)
        self.config = ModelConfig(seed=settings.seed, profile=profile)
        self.faults = FaultSettings(
            share_5xx=settings.fault_5xx,
            share_429=settings.fault_429,
            retry_after_s=settings.fault_retry_after_s,
            latency_ms=settings.fault_latency_ms,
            share_truncated=settings.fault_truncated,
            share_malformed=settings.fault_malformed,
            share_duplicates=settings.fault_duplicates,
            share_bad_rows=settings.fault_bad_rows,
            seed=settings.fault_seed,
        )
        self.rand = random.Random(settings.fault_seed)
        self._lock = threading.Lock()
        self._next_scenario_id = 1

    def store(self, store_id: str) -> Store:
        try:
            return self.stores[store_id]
        except KeyError:
            known = ", ".join(list(self.stores)[:10])
            more = ", ..." if len(self.stores) > 10 else ""
            raise HTTPException(
                404, f"unknown store_id {store_id!r}; known ids: {known}{more}"
            ) from None

    def add_scenario(self, scenario: Scenario) -> Scenario:
        with self._lock:
            scenario = replace(scenario, scenario_id=self._next_scenario_id)
            self._next_scenario_id += 1
            self.config = replace(self.config, scenarios=(*self.config.scenarios, scenario))
        return scenario

    def remove_scenarios(self, scenario_id: int | None = None) -> int:
        with self._lock:
            before = self.config.scenarios
            kept = tuple(
                s for s in before if scenario_id is not None and s.scenario_id != scenario_id
            )
            self.config = replace(self.config, scenarios=kept)
        return len(before) - len(kept)


def get_state(request: Request) -> SimulatorState:
    """The state of the app serving `request` (a FastAPI dependency)."""
    return request.app.state.sim
