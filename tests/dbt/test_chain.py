"""The chain helpers fail loudly: a failed step names its command and shows its output."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from tests.chain import ChainError, build_chain, iso_utc


def test_a_failed_load_raises_with_the_command_and_its_output(tmp_path: Path) -> None:
    with pytest.raises(ChainError) as caught:
        build_chain(
            tmp_path,
            stores=("atlantis",),
            start=date(2024, 3, 4),
            now=datetime.fromisoformat("2024-03-05T00:00:00Z"),
        )
    message = str(caught.value)
    assert "the loader failed" in message
    assert "--stores atlantis" in message
    assert "atlantis" in message.split("--- end of its output ---")[1]
    assert (tmp_path / "chain.log").read_text().count("$ ") == 1


def test_times_must_carry_a_time_zone() -> None:
    assert iso_utc(datetime.fromisoformat("2024-03-05T01:00:00+01:00")) == "2024-03-05T00:00:00Z"
    with pytest.raises(ValueError, match="no time zone"):
        iso_utc(datetime(2024, 3, 5))
