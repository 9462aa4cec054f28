"""`python -m simulator` as a real process on loopback, configured by the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.conftest import REPO_ROOT


def test_serves_the_api_configured_by_env(simulator_factory) -> None:
    url = simulator_factory(
        {
            "FOOTFALL_SIM_NOW": "2025-03-01T00:00:00Z",
            "FOOTFALL_SIM_PROFILE": "flat",
            "FOOTFALL_SIM_STORES": "12",
            "FOOTFALL_SIM_FAULT_5XX": "1",
        }
    )
    health = httpx.get(f"{url}/health").json()
    assert health == {
        "status": "ok",
        "now_utc": "2025-03-01T00:00:00Z",
        "clock": "fixed",
        "profile": "flat",
        "profile_off": [],
        "n_stores": 12,
    }
    r = httpx.get(f"{url}/api/v1/stores")
    assert r.status_code == 503  # every data request faulted, health never
    httpx.put(f"{url}/admin/faults", json={})
    stores = httpx.get(f"{url}/api/v1/stores").json()["stores"]
    assert len(stores) == 12 and stores[5]["store_id"] == "store-0001"


def test_a_bad_setting_stops_with_a_message_not_a_traceback() -> None:
    env = {**os.environ, "FOOTFALL_SIM_NOW": "soon", "FOOTFALL_SIM_PORT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "simulator"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "FOOTFALL_SIM_NOW='soon'" in done.stderr and "Traceback" not in done.stderr
    env["FOOTFALL_SIM_NOW"] = ""
    env["FOOTFALL_SIM_PROFILE"] = "busy"
    done = subprocess.run(
        [sys.executable, "-m", "simulator"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "realistic, flat" in done.stderr
