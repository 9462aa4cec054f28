"""The shape of traffic on top of the base level: presets `flat` and `realistic`.

Each component is documented in docs/simulator.md with its parameters, and each can be
switched off. `flat` switches every one off and gives the original model exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

#: The components of the realistic profile, in the order they are documented.
COMPONENTS = ("weekday", "intraday", "seasonality", "trend", "doors", "tails", "outages")
PRESETS = ("realistic", "flat")

# ISO weekday 1..7 (Monday..Sunday); Sunday is closed, its factor is never used. Mean over
# Monday..Saturday is 1, so the base level stays the store's mean.
WEEKDAY_FACTORS = (0.85, 0.90, 0.95, 1.00, 1.10, 1.20, 1.00)

# Local hour 0..23. Inside the opening hours 08:00-18:00 the mean is 1 and the lowest is 0.70
# (a quiet opening hour, never near zero); outside opening hours the store is closed anyway.
INTRADAY_FACTORS = (
    *(1.0,) * 8,
    0.70,
    0.85,
    0.95,
    1.05,
    1.20,
    1.20,
    1.05,
    0.95,
    1.00,
    1.05,
    *(1.0,) * 6,
)


@dataclass(frozen=True)
class Profile:
    """Which components shape the traffic, and their parameters."""

    name: str = "realistic"
    weekday: bool = True
    intraday: bool = True
    seasonality: bool = True
    trend: bool = True
    doors: bool = True
    tails: bool = True
    outages: bool = True
    weekday_factors: tuple[float, ...] = WEEKDAY_FACTORS
    intraday_factors: tuple[float, ...] = INTRADAY_FACTORS
    #: Yearly wave: 1 + amplitude * cos(2 pi (day of year - peak) / 365.25).
    season_amplitude: float = 0.08
    season_peak_day_of_year: float = 340.0
    #: Pre-Christmas bump: + height * exp(-(d / width)^2 / 2), d = days from its centre.
    christmas_height: float = 0.15
    christmas_day_of_year: float = 355.0
    christmas_width_days: float = 7.0
    #: Trend: (1 + store.growth_per_year) ** (years since TREND_ORIGIN).
    trend_origin: str = "2024-01-01"
    #: Doors: each sensor's level is scaled by a fixed log-normal factor (median 1).
    door_sigma: float = 0.25
    #: Tails: the normal draw's z-score is clipped to +-tail_clip_sigma, so that an ordinary
    #: reading is never below 55 % of its level and cannot pass for an anomaly (10 %).
    tail_clip_sigma: float = 3.0
    #: Outages: per sensor and UTC day, the chance an outage starts that day; its length in
    #: hours is log-normal (median, sigma), at least 1 h, at most outage_max_hours.
    outage_p_per_day: float = 0.006
    outage_median_hours: float = 8.0
    outage_sigma: float = 1.2
    outage_max_hours: int = 240

    @classmethod
    def preset(cls, name: str) -> Profile:
        """`realistic` (every component on) or `flat` (the original model)."""
        if name == "realistic":
            return cls()
        if name == "flat":
            return cls(name="flat").without(*COMPONENTS)
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PRESETS)}")

    def without(self, *components: str) -> Profile:
        """This profile with the named components switched off."""
        unknown = sorted(set(components) - set(COMPONENTS))
        if unknown:
            raise ValueError(
                f"unknown profile component(s) {', '.join(unknown)}; "
                f"choose from {', '.join(COMPONENTS)}"
            )
        return replace(self, **dict.fromkeys(components, False))

    def hour_factor(
        self, isodow: np.ndarray, local_hour: np.ndarray, local_day: np.ndarray, growth: float
    ) -> np.ndarray | None:
        """Multiplier of the level for each hour (None when every hourly component is off).

        `local_day` is the local date as days since 1970-01-01.
        """
        factor: np.ndarray | None = None

        def times(x: np.ndarray) -> None:
            nonlocal factor
            factor = x if factor is None else factor * x

        if self.weekday:
            times(np.asarray(self.weekday_factors)[isodow - 1])
        if self.intraday:
            times(np.asarray(self.intraday_factors)[local_hour])
        if self.seasonality or self.trend:
            days = np.unique(local_day)  # per day, then spread to hours: cheap
            per_day = np.ones(len(days))
            if self.seasonality:
                per_day *= self._season(days)
            if self.trend and growth:
                origin = np.datetime64(self.trend_origin, "D").astype(np.int64)
                years = (days - origin) / 365.25
                per_day *= np.power(1.0 + growth, years)
            times(per_day[np.searchsorted(days, local_day)])
        return factor

    def _season(self, days: np.ndarray) -> np.ndarray:
        """Seasonality of each local day (days since 1970-01-01)."""
        dates = days.astype("datetime64[D]")
        day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1.0
        wave = 1.0 + self.season_amplitude * np.cos(
            2 * np.pi * (day_of_year - self.season_peak_day_of_year) / 365.25
        )
        d = np.abs(day_of_year - self.christmas_day_of_year)
        d = np.minimum(d, 365.25 - d)  # circular: early January is close to Christmas
        return wave + self.christmas_height * np.exp(-0.5 * (d / self.christmas_width_days) ** 2)
