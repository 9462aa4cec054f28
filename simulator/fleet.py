"""The store chain: the default fleet of DESIGN.md section 1 and a deterministic synthetic one."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from functools import cached_property
from zoneinfo import ZoneInfo

from simulator.timeutil import iso_z

#: ISO weekday of Sunday, the day every store of the chain is closed.
SUNDAY = 7


@dataclass(frozen=True)
class Store:
    """One store and the parameters of its sensors' model (DESIGN.md section 1)."""

    store_id: str
    name: str
    city: str
    country: str
    timezone: str
    opened_on: date
    n_sensors: int
    mean_visits: float
    std_visits: float
    p_anomaly: float
    p_failure: float
    open_hour_local: int = 8
    close_hour_local: int = 18
    closed_isodow: tuple[int, ...] = (SUNDAY,)
    #: Long-term trend of the realistic profile: relative change of traffic per year.
    growth_per_year: float = 0.0

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def opening_utc(self) -> datetime:
        """The store's first hour: local midnight of its opening day, in UTC (aware)."""
        local = datetime.combine(self.opened_on, time(0), tzinfo=self.tz)
        return local.astimezone(UTC)

    @cached_property
    def opening_hour_index(self) -> int:
        """The first hour as hours since 1970-01-01T00:00Z."""
        return int(self.opening_utc.timestamp()) // 3600

    @cached_property
    def key(self) -> int:
        """A stable 64-bit number naming the store in the random streams."""
        digest = hashlib.blake2b(self.store_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little")

    def as_api(self) -> dict[str, object]:
        """The `Store` object of the HTTP API (docs/contracts.md section 1).

        Beyond the contract: `opened_at_utc`, the UTC start of the first hour (local midnight of
        `opened_on`), the earliest `start` that can return readings.
        """
        d = asdict(self)
        d.pop("growth_per_year")
        d["opened_on"] = self.opened_on.isoformat()
        d["closed_isodow"] = list(self.closed_isodow)
        d["opened_at_utc"] = iso_z(self.opening_utc)
        return {
            k: d[k]
            for k in (
                "store_id",
                "name",
                "city",
                "country",
                "timezone",
                "opened_on",
                "n_sensors",
                "open_hour_local",
                "close_hour_local",
                "closed_isodow",
                "mean_visits",
                "std_visits",
                "p_anomaly",
                "p_failure",
                "opened_at_utc",
            )
        }

    def sensors_api(self) -> list[dict[str, object]]:
        """The `Sensor` objects of the HTTP API."""
        return [
            {"store_id": self.store_id, "sensor_id": i, "name": f"Door {i}"}
            for i in range(self.n_sensors)
        ]


def _original(name: str, country: str, tz: str, n: int, year: int, growth: float) -> Store:
    """A store of the original project: every parameter follows from k = 2024 - year + 1."""
    k = 2024 - year + 1
    return Store(
        store_id=name.lower(),
        name=name,
        city=name,
        country=country,
        timezone=tz,
        opened_on=date(year, 1, 1),
        n_sensors=n,
        mean_visits=1000.0 * k,
        std_visits=150.0 * k,
        p_anomaly=0.01 * k,
        p_failure=0.001 * k,
        growth_per_year=growth,
    )


def default_fleet() -> tuple[Store, ...]:
    """The five stores of DESIGN.md section 1, in the original's order."""
    return (
        _original("Madrid", "ES", "Europe/Madrid", 1, 2024, 0.06),
        _original("Paris", "FR", "Europe/Paris", 20, 2018, 0.03),
        _original("Berlin", "DE", "Europe/Berlin", 6, 2022, 0.05),
        _original("Roma", "IT", "Europe/Rome", 4, 2019, -0.01),
        _original("London", "GB", "Europe/London", 8, 2014, 0.02),
    )


# Cities of the synthetic stores: (city, country, timezone).
_CITIES = (
    ("Lisboa", "PT", "Europe/Lisbon"),
    ("Dublin", "IE", "Europe/Dublin"),
    ("Amsterdam", "NL", "Europe/Amsterdam"),
    ("Bruxelles", "BE", "Europe/Brussels"),
    ("Wien", "AT", "Europe/Vienna"),
    ("Praha", "CZ", "Europe/Prague"),
    ("Warszawa", "PL", "Europe/Warsaw"),
    ("Stockholm", "SE", "Europe/Stockholm"),
    ("Helsinki", "FI", "Europe/Helsinki"),
    ("Athina", "GR", "Europe/Athens"),
    ("New York", "US", "America/New_York"),
    ("Chicago", "US", "America/Chicago"),
    ("Sydney", "AU", "Australia/Sydney"),
    ("Tokyo", "JP", "Asia/Tokyo"),
)


def _uniform(store_number: int, what: str) -> float:
    """A deterministic number in [0, 1) for one property of one synthetic store."""
    digest = hashlib.blake2b(f"{store_number}:{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def synthetic_store(number: int) -> Store:
    """Synthetic store `number` (1-based): parameters drawn deterministically from its number."""
    city, country, tz = _CITIES[int(_uniform(number, "city") * len(_CITIES))]
    year = 2014 + int(_uniform(number, "year") * 11)  # 2014..2024
    k = 2024 - year + 1
    return Store(
        store_id=f"store-{number:04d}",
        name=f"{city} {number:04d}",
        city=city,
        country=country,
        timezone=tz,
        opened_on=date(year, 1 + int(_uniform(number, "month") * 12), 1),
        n_sensors=1 + int(_uniform(number, "sensors") * 24),
        mean_visits=1000.0 * k,
        std_visits=150.0 * k,
        p_anomaly=0.01 * k,
        p_failure=0.001 * k,
        growth_per_year=round(-0.03 + 0.11 * _uniform(number, "growth"), 3),
    )


def fleet(n_stores: int = 5) -> tuple[Store, ...]:
    """The first `n_stores` stores: the default five first, then synthetic ones."""
    if n_stores < 1:
        raise ValueError(f"a fleet needs at least 1 store, got n_stores={n_stores}")
    base = default_fleet()
    if n_stores <= len(base):
        return base[:n_stores]
    return base + tuple(synthetic_store(i) for i in range(1, n_stores - len(base) + 1))
