"""Fault injection: what a real sensor feed does to its clients (off by default).

Request faults (an ASGI middleware, on `/api/v1/*` except the truth, and the original
endpoint `/`; never `/health`, `/admin/*` or the docs): latency, 5xx answers, 429 with
Retry-After, truncated bodies, malformed bodies. Row faults (applied by the readings endpoint
to a share of its pages): duplicated rows and added bad rows. Bad and duplicated rows are
*added*: every true row is still in the page.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultSettings(BaseModel):
    """The fault-injection settings in force (PUT /admin/faults replaces them all)."""

    model_config = ConfigDict(extra="forbid")

    share_5xx: float = Field(0.0, ge=0.0, le=1.0, description="share of requests answered 503")
    share_429: float = Field(0.0, ge=0.0, le=1.0, description="share answered 429 + Retry-After")
    retry_after_s: int = Field(1, ge=0, le=3600, description="the Retry-After of a 429, seconds")
    latency_ms: float = Field(0.0, ge=0.0, le=60_000.0, description="delay added to requests")
    share_truncated: float = Field(0.0, ge=0.0, le=1.0, description="bodies cut short")
    share_malformed: float = Field(0.0, ge=0.0, le=1.0, description="bodies that are not JSON")
    share_duplicates: float = Field(
        0.0, ge=0.0, le=1.0, description="readings pages with some rows repeated"
    )
    share_bad_rows: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="readings pages with bad rows added (unknown sensor, wrong type, "
        "hour outside the window)",
    )

    seed: int | None = Field(
        None, description="reseed the fault draws: the same seed, the same sequence of faults"
    )

    @property
    def any_request_fault(self) -> bool:
        return bool(
            self.share_5xx
            or self.share_429
            or self.latency_ms
            or self.share_truncated
            or self.share_malformed
        )


def is_faultable(path: str) -> bool:
    """Faults touch the data endpoints and the original endpoint only."""
    return path == "/" or (path.startswith("/api/v1/") and path != "/api/v1/truth")


class FaultMiddleware:
    """Injects the request faults of the settings returned by `current()`."""

    def __init__(
        self, app: ASGIApp, current: Callable[[], FaultSettings], rand: random.Random
    ) -> None:
        self.app = app
        self.current = current
        self.rand = rand

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_faultable(scope["path"]):
            await self.app(scope, receive, send)
            return
        f = self.current()
        if not f.any_request_fault:
            await self.app(scope, receive, send)
            return
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000.0)
        r = self.rand.random()
        if r < f.share_5xx:
            await _send_json(send, 503, b'{"detail":"injected fault: service unavailable"}')
            return
        if r < f.share_5xx + f.share_429:
            body = b'{"detail":"injected fault: too many requests, retry after Retry-After s"}'
            await _send_json(send, 429, body, [(b"retry-after", str(f.retry_after_s).encode())])
            return
        r = self.rand.random()
        if r < f.share_truncated:
            await self.app(scope, receive, _rewriting(send, self._truncate))
        elif r < f.share_truncated + f.share_malformed:
            await self.app(scope, receive, _rewriting(send, _malform))
        else:
            await self.app(scope, receive, send)

    def _truncate(self, body: bytes) -> bytes:
        return body[: self.rand.randrange(len(body))] if len(body) > 1 else b""


def _malform(body: bytes) -> bytes:
    """A body that is not JSON any more: the opening brace replaced by garbage."""
    return b"<html>proxy error</html>" + body[1:]


async def _send_json(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _rewriting(send: Send, rewrite: Callable[[bytes], bytes]) -> Send:
    """A `send` that buffers a 200 answer and sends `rewrite(body)` with a right length."""
    start: Message = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        if start.get("status") == 200:
            body = rewrite(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


def add_row_faults(
    columns: dict[str, Any],
    faults: FaultSettings,
    rand: random.Random,
    n_sensors: int,
    window_hours: tuple[int, int],
) -> dict[str, Any]:
    """The page's columns with duplicated and bad rows added, as the settings ask.

    Duplicates: about 1 % of the rows (at least one) repeated right after themselves. Bad
    rows, appended at the end: an unknown sensor, a visits value that is a string, and an
    hour outside the asked window `[first, last)` (hour indices).
    """
    n = len(columns["visits"])
    if n and rand.random() < faults.share_duplicates:
        repeat = np.ones(n, dtype=np.int64)
        repeat[rand.sample(range(n), max(1, n // 100))] = 2
        columns = {k: np.repeat(v, repeat) for k, v in columns.items()}
    if rand.random() >= faults.share_bad_rows:
        return columns
    first, last = window_hours
    inside = _iso_hour(first)
    outside = _iso_hour(rand.choice([first - 24, last + 24]))
    bad = {
        "reading_start_utc": [inside, inside, outside],
        "sensor_id": [n_sensors + 7, 0, 0],
        "visits": [1234, "many", 1234],
    }
    out: dict[str, Any] = {}
    for name, values in columns.items():
        if name == "reading_start_utc":
            values = np.char.add(np.datetime_as_string(values, unit="s"), "Z")
        extra = bad.get(name, [None] * 3)
        out[name] = [*values.tolist(), *extra]
    return out


def _iso_hour(hour: int) -> str:
    return str(np.datetime64(hour * 3600, "s")) + "Z"
