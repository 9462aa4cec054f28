"""The admin endpoints: fault injection (`/admin/faults`) and scenarios (`/admin/scenarios`).

Never faulted. They change the state of the running simulator only (nothing is persisted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from simulator.faults import FaultSettings
from simulator.scenarios import Scenario
from simulator.state import SimulatorState, get_state
from simulator.timeutil import iso_z

router = APIRouter(prefix="/admin", tags=["admin"])
StateDep = Annotated[SimulatorState, Depends(get_state)]


class ScenarioIn(BaseModel):
    """An on-demand incident to add."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["outage", "traffic"] = Field(
        description="outage: the sensor(s) go silent; traffic: true visits times `factor`"
    )
    store_id: str
    sensor_id: int | None = Field(None, ge=0, description="one sensor, or every sensor if null")
    start_utc: AwareDatetime
    end_utc: AwareDatetime
    factor: float = Field(1.0, ge=0.0, le=100.0, description="traffic multiplier (0.3 = -70 %)")


def _scenario_out(sc: Scenario) -> dict[str, Any]:
    return {
        "scenario_id": sc.scenario_id,
        "kind": sc.kind,
        "store_id": sc.store_id,
        "sensor_id": sc.sensor_id,
        "start_utc": iso_z(sc.start_utc),
        "end_utc": iso_z(sc.end_utc),
        "factor": sc.factor,
    }


@router.get("/faults")
def get_faults(state: StateDep) -> FaultSettings:
    """The fault-injection settings now in force."""
    return state.faults


@router.put("/faults")
def put_faults(faults: FaultSettings, state: StateDep) -> FaultSettings:
    """Replace the fault-injection settings (fields left out go back to 0 / default)."""
    if faults.seed is not None:
        state.rand.seed(faults.seed)
    state.faults = faults
    return state.faults


@router.get("/scenarios")
def get_scenarios(state: StateDep) -> dict[str, Any]:
    """The on-demand incidents in force."""
    return {"scenarios": [_scenario_out(s) for s in state.config.scenarios]}


@router.post("/scenarios", status_code=201)
def post_scenario(body: ScenarioIn, state: StateDep) -> dict[str, Any]:
    """Add an incident: an outage or a traffic factor on a store or one sensor."""
    s = state.store(body.store_id)
    if body.sensor_id is not None and body.sensor_id >= s.n_sensors:
        raise HTTPException(
            404,
            f"store {s.store_id!r} has sensors 0 to {s.n_sensors - 1}, not {body.sensor_id}",
        )
    if body.start_utc >= body.end_utc:
        raise HTTPException(422, "start_utc must be before end_utc")
    sc = Scenario(
        kind=body.kind,
        store_id=s.store_id,
        sensor_id=body.sensor_id,
        start_utc=_utc(body.start_utc, "start_utc"),
        end_utc=_utc(body.end_utc, "end_utc"),
        factor=body.factor,
    )
    return _scenario_out(state.add_scenario(sc))


@router.delete("/scenarios")
def delete_scenarios(state: StateDep) -> dict[str, int]:
    """Remove every incident."""
    return {"removed": state.remove_scenarios()}


@router.delete("/scenarios/{scenario_id}")
def delete_scenario(scenario_id: int, state: StateDep) -> dict[str, int]:
    """Remove one incident; 404 if there is no such id."""
    removed = state.remove_scenarios(scenario_id)
    if not removed:
        raise HTTPException(404, f"no scenario with id {scenario_id}")
    return {"removed": removed}


def _utc(value: datetime, name: str) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(
            422, f"{name}={value.isoformat()} falls outside the years 1 to 9999 in UTC"
        ) from None
