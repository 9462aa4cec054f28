"""footfall.services: a service that cannot start says why; one that starts is stopped."""

from __future__ import annotations

import pytest

from footfall import services


def test_a_service_that_exits_raises_with_its_output() -> None:
    # A clock setting the simulator cannot read makes it exit before it listens.
    with (
        pytest.raises(services.ServiceError, match="exited with") as error,
        services.simulator({"FOOTFALL_SIM_NOW": "not-a-time"}, timeout_s=30),
    ):
        pass
    assert "FOOTFALL_SIM_NOW" in str(error.value)


def test_a_started_service_answers_and_is_stopped_afterwards() -> None:
    with services.simulator({"FOOTFALL_SIM_NOW": "2024-03-01T00:00:00Z"}) as url:
        assert services.answers(f"{url}/health")
    assert not services.answers(f"{url}/health")


def test_nothing_answers_on_a_free_port() -> None:
    assert not services.answers(f"http://127.0.0.1:{services.free_port()}/health")
