"""A fleet file: the stores of a chain whose API only speaks the original protocol.

The original endpoint answers one integer and describes nothing, so the stores it serves are
listed in a file (docs/loaders.md, "A chain with only the original API"). YAML:

    stores:
      - name: Paris              # as the API knows it (store_name=Paris)
        id: paris                # the store_id in the warehouse
        timezone: Europe/Paris   # the zone of the API's local hours
        opened_on: 2018-01-01    # local date; its first hour is local midnight
        sensors: 20              # sensor_id 0 .. 19
        open_hour_local: 8       # open hours: 8 <= local hour < 18
        close_hour_local: 18
        closed_isodow: [7]       # optional, default [7] (Sunday)
        city: Paris              # optional, default the name
        country: FR              # optional

or CSV with the same column names (closed_isodow as `7` or `6 7`, empty for none).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from loaders.api import Store
from loaders.errors import OptionError
from loaders.plan import first_hour_utc

REQUIRED = ("name", "id", "timezone", "opened_on", "sensors", "open_hour_local", "close_hour_local")
OPTIONAL = ("closed_isodow", "city", "country")


def read_fleet(path: Path) -> list[Store]:
    """The stores of a fleet file (.yaml, .yml or .csv); OptionError saying what is wrong."""
    if not path.is_file():
        raise OptionError(f"--fleet {path}: no such file (see loaders/fleets/default.yaml)")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"--fleet {path}: cannot be read ({exc})") from None
    if suffix in (".yaml", ".yml"):
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise OptionError(f"--fleet {path}: not valid YAML ({exc})") from None
        rows = doc.get("stores") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            raise OptionError(f"--fleet {path}: expected a top-level `stores:` list of stores")
    elif suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        raise OptionError(f"--fleet {path}: use a .yaml, .yml or .csv file")
    if not rows:
        raise OptionError(f"--fleet {path}: lists no store")
    stores = [_store(path, i + 1, row) for i, row in enumerate(rows)]
    seen: set[str] = set()
    for s in stores:
        if s.store_id in seen:
            raise OptionError(f"--fleet {path}: store id {s.store_id!r} is listed twice")
        seen.add(s.store_id)
    return stores


def _store(path: Path, number: int, row: Any) -> Store:
    where = f"--fleet {path}, store {number}"
    if not isinstance(row, dict):
        raise OptionError(f"{where}: expected a mapping of fields, got {row!r}")
    row = {str(k).strip(): v for k, v in row.items() if k is not None}
    missing = [k for k in REQUIRED if row.get(k) in (None, "")]
    if missing:
        raise OptionError(f"{where}: missing {', '.join(missing)} (needs {', '.join(REQUIRED)})")
    unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise OptionError(f"{where}: unknown field(s) {', '.join(unknown)}")
    name = str(row["name"]).strip()
    store_id = str(row["id"]).strip()
    where = f"--fleet {path}, store {store_id!r}"
    timezone = str(row["timezone"]).strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(f"{where}: timezone {timezone!r} is not an IANA zone") from None
    opened = row["opened_on"]
    if not isinstance(opened, date):
        try:
            opened = date.fromisoformat(str(opened).strip())
        except ValueError:
            raise OptionError(f"{where}: opened_on {opened!r} is not YYYY-MM-DD") from None
    n_sensors = _int(where, row, "sensors", 1, 10_000)
    open_hour = _int(where, row, "open_hour_local", 0, 23)
    close_hour = _int(where, row, "close_hour_local", 1, 24)
    if open_hour >= close_hour:
        raise OptionError(f"{where}: open_hour_local must be before close_hour_local")
    closed = row.get("closed_isodow", [7])
    if closed is None:
        closed = []
    if isinstance(closed, (str, int)):
        closed = str(closed).replace(",", " ").split()
    try:
        closed_isodow = sorted({int(d) for d in closed})
    except (TypeError, ValueError):
        raise OptionError(f"{where}: closed_isodow {closed!r} is not a list of 1..7") from None
    if any(not 1 <= d <= 7 for d in closed_isodow):
        raise OptionError(f"{where}: closed_isodow {closed!r} is not a list of 1..7")
    first = first_hour_utc(opened, timezone)
    fields = {
        "store_id": store_id,
        "name": name,
        "city": str(row.get("city") or name),
        "country": str(row["country"]) if row.get("country") not in (None, "") else None,
        "timezone": timezone,
        "opened_on": opened.isoformat(),
        "n_sensors": n_sensors,
        "open_hour_local": open_hour,
        "close_hour_local": close_hour,
        "closed_isodow": closed_isodow,
        "mean_visits": None,
        "std_visits": None,
        "p_anomaly": None,
        "p_failure": None,
        "opened_at_utc": f"{first:%Y-%m-%dT%H:%M:%S}Z",
    }
    sensors = tuple(
        {"store_id": store_id, "sensor_id": i, "name": f"Door {i}"} for i in range(n_sensors)
    )
    return Store(fields, sensors)


def _int(where: str, row: dict[str, Any], key: str, low: int, high: int) -> int:
    value = row[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise OptionError(f"{where}: {key} {value!r} is not an integer") from None
    if not low <= number <= high:
        raise OptionError(f"{where}: {key} {number} is not between {low} and {high}")
    return number
