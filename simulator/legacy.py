"""The original endpoint: one integer for a store (or one sensor) at a local hour.

Every hour a client of the original API may ask for answers 200 and an integer
(docs/contracts.md section 1, "The original endpoint"):
- the hour is the store's local wall-clock hour; an ambiguous one (the autumn repeat) means its
  first occurrence (summer time), the only one the protocol can name;
- a local hour that does not exist (the spring gap, clocks jump forward): -2, no reading;
- before the store's opening: -2; an hour of a sensor outage: -2 too (no reading exists);
- the hour in progress at the simulator's now: the count so far, the hour's reading scaled by
  the share of the hour elapsed (truncated; -1 and -2 as they will be at the end of the hour);
- without sensor_id: the store's total, failed and silent sensors counting 0;
- an hour after the one in progress: 404 (no reading yet); an unknown store or sensor: 404;
  a malformed parameter (not an integer, out of range, an impossible date): 422.

`LegacyEndpoint` serves `GET /?...` as a plain ASGI layer, without FastAPI's validation and
dependency machinery: it parses the six parameters itself and takes the reading from a cache
of whole UTC days of the model (`hour_readings`), which is what makes it several times
faster than a FastAPI route.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import numpy as np
import orjson

from simulator.fleet import Store
from simulator.model import NO_READING, ModelConfig, simulate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The integer parameters of the endpoint: (name, lowest, highest, required).
_INT_PARAMS = (
    ("year", 1, 9999, True),
    ("month", 1, 12, True),
    ("day", 1, 31, True),
    ("hour", 0, 23, True),
    ("sensor_id", 0, None, False),
)


class LegacyError(Exception):
    """A request the original endpoint cannot answer; `status` is the HTTP status to send."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def parse_params(params: Mapping[str, str]) -> tuple[str, int, int, int, int, int | None]:
    """(store_name, year, month, day, hour, sensor_id) from the query; LegacyError(422) if bad.

    The messages follow FastAPI's validation errors (`query.hour: ...`), joined by `; `.
    """
    problems: list[str] = []
    store_name = params.get("store_name")
    if store_name is None:
        problems.append("query.store_name: Field required")
    values: dict[str, int | None] = {}
    for name, low, high, required in _INT_PARAMS:
        raw = params.get(name)
        if raw is None:
            if required:
                problems.append(f"query.{name}: Field required")
            values[name] = None
            continue
        text = raw.strip()
        if not (text.isascii() and text.lstrip("+-").isdigit()) or len(text) > 20:
            shown = repr(raw)[:40]
            problems.append(
                f"query.{name}: Input should be a valid integer, unable to parse string as an "
                f"integer (got {shown})"
            )
            continue
        value = int(text)
        if value < low:
            problems.append(
                f"query.{name}: Input should be greater than or equal to {low} (got {raw!r})"
            )
        elif high is not None and value > high:
            problems.append(
                f"query.{name}: Input should be less than or equal to {high} (got {raw!r})"
            )
        values[name] = value
    if problems:
        raise LegacyError(422, "; ".join(problems))
    return (
        str(store_name),
        int(values["year"] or 0),
        int(values["month"] or 0),
        int(values["day"] or 0),
        int(values["hour"] or 0),
        values["sensor_id"],
    )


def find_store(stores: Mapping[str, Store], store_name: str) -> Store:
    """The store named `store_name` (its name or id, any case); LegacyError(404) if none."""
    wanted = store_name.strip().lower()
    store = stores.get(wanted)
    if store is not None:
        return store
    for s in stores.values():
        if s.name.lower() == wanted:
            return s
    names = ", ".join(s.name for s in list(stores.values())[:10])
    raise LegacyError(404, f"unknown store_name {store_name!r}; known: {names}")


def local_hour_to_utc(store: Store, year: int, month: int, day: int, hour: int) -> datetime | None:
    """The UTC start of a local hour of the store (its first occurrence when it repeats).

    None when the local hour does not exist (the spring gap); LegacyError(422) for a date that
    does not exist in any calendar (February 30).
    """
    return _local_hour_to_utc(store.timezone, year, month, day, hour)


@lru_cache(maxsize=65536)
def _local_hour_to_utc(
    timezone: str, year: int, month: int, day: int, hour: int
) -> datetime | None:
    tz = ZoneInfo(timezone)
    try:
        local = datetime(year, month, day, hour, tzinfo=tz, fold=0)
        utc = local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise LegacyError(
            422,
            f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00 is not a valid date and hour: {exc}",
        ) from None
    back = utc.astimezone(tz)
    if (back.year, back.month, back.day, back.hour) != (year, month, day, hour):
        return None
    return utc


def legacy_value(
    store: Store,
    year: int,
    month: int,
    day: int,
    hour: int,
    sensor_id: int | None,
    config: ModelConfig,
    now_s: float,
) -> int:
    """The original endpoint's integer at the simulator's now (`now_s`, seconds since 1970)."""
    if sensor_id is not None and not 0 <= sensor_id < store.n_sensors:
        raise LegacyError(
            404,
            f"store {store.name!r} has sensors 0 to {store.n_sensors - 1}; "
            f"sensor_id={sensor_id} does not exist",
        )
    utc = local_hour_to_utc(store, year, month, day, hour)
    if utc is None:  # the spring gap: the local hour never happened, no reading exists
        return NO_READING
    start_s = int(utc.timestamp())
    h = start_s // 3600
    if h < store.opening_hour_index:
        return NO_READING
    elapsed_s = now_s - start_s
    if elapsed_s < 0:
        raise LegacyError(
            404,
            f"no reading yet: the hour starting {utc:%Y-%m-%dT%H:%M}Z has not begun "
            f"at the simulator's now",
        )
    visits = hour_readings(store, h, config)
    share = min(1.0, elapsed_s / 3600.0)  # below 1: the hour in progress, counted so far
    if sensor_id is not None:
        value = int(visits[sensor_id])
        return int(value * share) if value > 0 and share < 1.0 else value
    if share < 1.0:
        return int((np.maximum(visits, 0) * share).astype(np.int64).sum())
    return int(np.maximum(visits, 0).sum())


#: The readings of every sensor of recent (store, hour)s: a client of the original protocol asks
#: for the sensors of an hour one by one, so the model runs once per hour, not once per sensor.
_HOUR_CACHE: dict[tuple[str, int], tuple[ModelConfig, np.ndarray]] = {}
_HOUR_CACHE_SIZE = 8192


def hour_readings(store: Store, h: int, config: ModelConfig) -> np.ndarray:
    """Every sensor's reading of hour `h` (ended or not, at or after the opening), -2 silent.

    On a miss the model runs over the whole UTC day of `h` (vectorised, the same numbers as
    hour by hour: the streams are counter-based) and the day's hours are kept: a client of
    the original asks hour after hour, sensor after sensor.
    """
    cached = _HOUR_CACHE.get((store.store_id, h))
    if cached is not None and cached[0] is config:
        return cached[1]
    day_start = h - h % 24
    hours = np.arange(max(day_start, store.opening_hour_index), day_start + 24, dtype=np.int64)
    grid = simulate(store, hours, np.arange(store.n_sensors), config, truth=False)
    if len(_HOUR_CACHE) + len(hours) > _HOUR_CACHE_SIZE:
        _HOUR_CACHE.clear()
    for i, hour in enumerate(hours.tolist()):
        _HOUR_CACHE[(store.store_id, hour)] = (config, grid.visits[i])
    return grid.visits[h - int(hours[0])]


#: The query string as clients of the original send it (the parameters in order, digits).
_USUAL_QUERY = re.compile(
    rb"store_name=([A-Za-z0-9_.-]+)&year=(\d{1,4})&month=(\d{1,2})&day=(\d{1,2})"
    rb"&hour=(\d{1,2})(?:&sensor_id=(\d{1,6}))?"
)


def parse_query(query: bytes) -> dict[str, str]:
    """`a=1&b=x%20y` as {"a": "1", "b": "x y"}; the last of repeated names wins (as FastAPI)."""
    params = {}
    for part in query.decode("latin-1").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name, value = unquote_plus(name), unquote_plus(value)
        params[name] = value
    return params


Params = tuple[str, int, int, int, int, int | None]


def parse_request(query: bytes) -> Params:
    """The endpoint's parameters from a raw query string; LegacyError(422) if malformed.

    The query as the original's clients send it (the parameters in order, plain digits) is
    parsed by one regular expression; anything else goes the long way, which also writes the
    messages.
    """
    usual = _USUAL_QUERY.fullmatch(query)
    if usual is not None:
        name, year, month, day, hour, sensor = usual.groups()
        y, m, d, h = int(year), int(month), int(day), int(hour)
        if y >= 1 and 1 <= m <= 12 and 1 <= d <= 31 and h <= 23:
            return name.decode(), y, m, d, h, None if sensor is None else int(sensor)
    return parse_params(parse_query(query))


class LegacyEndpoint:
    """Serves `GET /` with a query string (the original endpoint) before the FastAPI router.

    `answer(parameters)` returns the integer or raises LegacyError; everything else goes on to
    `app` (the FastAPI route at `/` stays for the OpenAPI schema and other methods).
    """

    def __init__(self, app: ASGIApp, answer: Callable[[Params], int]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        try:
            params = parse_request(scope.get("query_string", b""))
            status, body = 200, b"%d" % self.answer(params)
        except LegacyError as exc:
            status, body = exc.status, orjson.dumps({"detail": exc.detail})
        except Exception as exc:  # a bug: say so in the answer, as Starlette's 500 would not
            status = 500
            body = orjson.dumps({"detail": f"internal error: {type(exc).__name__}: {exc}"})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
