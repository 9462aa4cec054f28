"""The simulator's "now": real, fixed, or accelerated (docs/simulator.md, "The clock").

Only hours that have ended before now exist. Now is the real time by default. With
FOOTFALL_SIM_NOW it starts at that instant and stands still, unless FOOTFALL_SIM_SPEED is set:
then it runs `speed` times faster than real time from there (60 = a simulated hour per real
minute). FOOTFALL_SIM_SPEED alone accelerates from the real now.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulator.timeutil import parse_instant


@dataclass(frozen=True)
class Clock:
    """now = start_utc + speed * (real seconds elapsed since the clock was made)."""

    start_utc: datetime
    speed: float = 1.0
    _started: float = field(default_factory=time.monotonic, repr=False, compare=False)

    @classmethod
    def configured(cls, now: str | None = None, speed: float | None = None) -> Clock:
        """The clock of FOOTFALL_SIM_NOW (ISO 8601 UTC or unset) and FOOTFALL_SIM_SPEED."""
        if now is None:
            return cls(datetime.now(UTC), 1.0 if speed is None else speed)
        try:
            start = parse_instant(now, "FOOTFALL_SIM_NOW")
        except ValueError as exc:
            raise ValueError(
                f"{exc} (or leave FOOTFALL_SIM_NOW unset for the real clock)"
            ) from None
        return cls(start, 0.0 if speed is None else speed)

    @property
    def mode(self) -> str:
        return "fixed" if self.speed == 0 else "running" if self.speed == 1 else "accelerated"

    def now(self) -> datetime:
        """The simulator's current instant (aware, UTC)."""
        if self.speed == 0:
            return self.start_utc
        elapsed = (time.monotonic() - self._started) * self.speed
        return datetime.fromtimestamp(self.start_utc.timestamp() + elapsed, tz=UTC)

    def ended_hours(self) -> int:
        """Index of the first hour that has not ended yet: hours before it exist."""
        return int(self.now().timestamp()) // 3600
