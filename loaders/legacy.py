"""The legacy source: readings from an API that only has the original endpoint.

`GET /?store_name=Paris&year=2024&month=7&day=30&hour=12&sensor_id=3` answers one integer
for one sensor at one LOCAL hour (docs/contracts.md section 1). The stores come from a fleet
file (loaders.fleet). For each task (a store and a UTC window, planned like the batched
source's) the source asks every UTC hour of the window, each sensor, as the store's local hour:

- the UTC hour is converted to the store's local wall-clock hour (zoneinfo);
- the autumn repeated local hour can be named only once: the API answers its first occurrence
  (summer time), so the second UTC hour of that local hour is not asked and stays absent
  (dbt's hour spine makes it `missing`);
- the spring missing local hour has no UTC hour, so it is never asked;
- the answer -2 (no reading: an outage) lands nothing, as the batched API leaves such hours
  out; -1 lands as -1 (a failed reading); other negatives or counts beyond 2^31-1 go to
  raw.sensor_readings_rejects with the reason; a body that is not an integer, a 429 or a 5xx
  is retried with backoff; any other answer stops the load with the API's message.

The requests go out concurrently over a few keep-alive HTTP/1.1 connections, each pipelining
a handful of requests (asyncio in one thread, a small HTTP client of its own: one request is
a few bytes, and a general-purpose client costs more per request than the server does). A
task's answers become one `Page`, which the loader's writer lands exactly as the batched
source's pages: same tables, progress, run log, rejects and crash safety.
"""

from __future__ import annotations

import asyncio
import collections
import json
import queue
import random
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import numpy as np

from loaders.api import Store
from loaders.errors import ApiError, ApiUnreachable, TransientError
from loaders.pages import INT32_MAX, Page
from loaders.plan import Task
from loaders.retry import RetryPolicy, Stopped, parse_retry_after

#: The answer of the original endpoint when no reading exists (an outage, before the opening).
NO_READING = -2
FAILED = -1
#: Requests written on a connection before their answers are read (HTTP/1.1 pipelining).
PIPELINE_DEPTH = 8
REASON_VALUE = "the original endpoint answered {value}: not a count, -1 (failed) or -2 (no reading)"


@dataclass
class _TaskState:
    """The answers of one task so far."""

    task: Task
    store: Store
    remaining: int = 0
    planned: bool = False
    hours: list[int] = field(default_factory=list)
    sensors: list[int] = field(default_factory=list)
    visits: list[int] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)
    n_received: int = 0


@dataclass
class _Request:
    state: _TaskState
    hour_s: int
    sensor_id: int
    local: datetime
    target: bytes
    attempt: int = 0


def local_hours(task: Task, timezone: str) -> Iterator[tuple[int, datetime]]:
    """(UTC hour start in seconds, local wall-clock hour) of each hour of the task the
    original protocol can name: the second occurrence of a repeated autumn hour is left out."""
    tz = ZoneInfo(timezone)
    start = int(task.start.replace(tzinfo=UTC).timestamp())
    for k in range(task.hours):
        seconds = start + 3600 * k
        local = datetime.fromtimestamp(seconds, tz)
        if local.fold:  # the repeat: the protocol's name for it means the first occurrence
            continue
        yield seconds, local.replace(tzinfo=None)


class LegacySource:
    """Stores from a fleet file, readings from the original endpoint at `api_url`."""

    def __init__(
        self,
        api_url: str,
        stores: list[Store],
        *,
        now: datetime | None,
        connections: int,
        timeout_s: float,
        policy: RetryPolicy,
        stop: threading.Event,
        on_retry: Callable[[str, int, TransientError, float], None] | None = None,
    ) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(f"the API URL {api_url!r} is not http(s)://host[:port][/path]")
        self.api_url = api_url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.path = (parts.path.rstrip("/") + "/").encode()
        self.host_header = parts.netloc.encode()
        self._stores = stores
        self._now = now
        self.connections = max(1, connections)
        self.timeout_s = timeout_s
        self.policy = policy
        self.stop = stop
        self.on_retry = on_retry

    # --- what the loader asks every source ----------------------------------------------

    def now(self) -> datetime:
        """The loader's idea of now (naive UTC): --now, else the real clock.

        The original protocol has no clock of its own to ask; only hours that have ended
        before the start of the current hour are read.
        """
        moment = self._now or datetime.now(UTC).replace(tzinfo=None)
        return moment.replace(minute=0, second=0, microsecond=0)

    def stores(self) -> list[Store]:
        """The fleet file's stores, after checking that the API answers for the first one."""
        self._check(self._stores[0])
        return list(self._stores)

    def start_fetching(
        self, stores: dict[str, Store], tasks: list[Task], out: queue.Queue, done: object
    ) -> list[threading.Thread]:
        """Fetch every task on a thread of its own; it puts (task, page)s, then `done`."""
        thread = threading.Thread(
            target=self._thread_main,
            args=(stores, tasks, out, done),
            name="loader-legacy",
            daemon=True,
        )
        thread.start()
        return [thread]

    def close(self) -> None:
        """Nothing is kept open between runs (the connections live in the fetching thread)."""

    # --- one synchronous request, to fail early with a clear message --------------------

    def _check(self, store: Store) -> None:
        local = datetime.fromisoformat(str(store.fields["opened_on"]))
        target = self._target(store, local, 0)

        async def one() -> tuple[int, bytes, dict[bytes, bytes]]:
            conn = await self._open()
            try:
                conn[1].write(self._request(target))
                async with asyncio.timeout(self.timeout_s):
                    return await _read_response(conn[0])
            finally:
                conn[1].close()

        try:
            status, body, _ = asyncio.run(one())
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise ApiUnreachable(
                f"no API answers at {self.api_url} ({type(exc).__name__}: {exc}): start the "
                "simulator with `make simulator`, or pass --api-url / set FOOTFALL_API_URL."
            ) from None
        if status == 404 or status == 422:
            raise ApiError(
                f"{self.api_url}{target.decode()} answered {status}: "
                f"{body[:300].decode(errors='replace')}. Check the store's name in the fleet "
                "file (the name the API knows)."
            )

    # --- the fetching thread --------------------------------------------------------------

    def _thread_main(
        self, stores: dict[str, Store], tasks: list[Task], out: queue.Queue, done: object
    ) -> None:
        try:
            asyncio.run(self._fetch_all(stores, tasks, out))
        except Stopped:
            pass
        except BaseException as exc:  # handed to the writing thread, which stops the run
            out.put(exc)
        finally:
            out.put(done)

    def _target(self, store: Store, local: datetime, sensor_id: int) -> bytes:
        name = quote(str(store.fields["name"]), safe="")
        return b"%s?store_name=%s&year=%d&month=%d&day=%d&hour=%d&sensor_id=%d" % (
            self.path,
            name.encode(),
            local.year,
            local.month,
            local.day,
            local.hour,
            sensor_id,
        )

    def _request(self, target: bytes) -> bytes:
        return b"GET %s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n" % (target, self.host_header)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        context = ssl.create_default_context() if self.tls else None
        async with asyncio.timeout(self.timeout_s):
            return await asyncio.open_connection(self.host, self.port, ssl=context)

    async def _connect(self) -> _Connection:
        context = ssl.create_default_context() if self.tls else None
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.timeout_s):
            _, conn = await loop.create_connection(_Connection, self.host, self.port, ssl=context)
        return conn

    def _requests(self, stores: dict[str, Store], tasks: list[Task], out: queue.Queue):
        """Every request of every task, task after task (lazily: memory stays flat)."""
        for task in tasks:
            store = stores[task.store_id]
            state = _TaskState(task, store)
            sensor_ids = [int(s) for s in store.sensor_ids]
            for hour_s, local in local_hours(task, store.timezone):
                for sensor_id in sensor_ids:
                    state.remaining += 1
                    yield _Request(
                        state, hour_s, sensor_id, local, self._target(store, local, sensor_id)
                    )
            state.planned = True
            if state.remaining == 0:
                self._finish(state, out)

    async def _fetch_all(self, stores: dict[str, Store], tasks: list[Task], out: queue.Queue):
        pending = self._requests(stores, tasks, out)
        ready: collections.deque[_Request] = collections.deque()
        waiting = [0]  # requests sleeping before a retry
        exhausted = [False]
        rng = random.Random()
        loop = asyncio.get_running_loop()

        def take(n: int) -> list[_Request]:
            batch: list[_Request] = []
            while ready and len(batch) < n:
                batch.append(ready.popleft())
            while not exhausted[0] and len(batch) < n:
                try:
                    batch.append(next(pending))
                except StopIteration:
                    exhausted[0] = True
            return batch

        def retry_later(req: _Request, exc: TransientError) -> None:
            req.attempt += 1
            if req.attempt >= self.policy.max_attempts:
                raise ApiError(
                    f"{self._what(req)} failed {req.attempt} times in a row; last error: {exc}. "
                    "The API may be overloaded or broken; run the loader again (it resumes "
                    "where it stopped; FOOTFALL_LOADER_MAX_ATTEMPTS sets how many tries)."
                ) from exc
            wait = self.policy.delay(req.attempt, exc.retry_after_s, rng)
            if self.on_retry is not None:
                self.on_retry(self._what(req), req.attempt, exc, wait)
            waiting[0] += 1

            def wake() -> None:
                waiting[0] -= 1
                ready.append(req)

            loop.call_later(wait, wake)

        async def worker() -> None:
            conn: _Connection | None = None
            try:
                while True:
                    if self.stop.is_set():
                        raise Stopped("the load is stopping")
                    batch = take(PIPELINE_DEPTH)
                    if not batch:
                        if exhausted[0] and not waiting[0]:
                            return
                        await asyncio.sleep(0.005)
                        continue
                    error: BaseException | None = None
                    try:
                        if conn is None or conn.closed or conn.closing:
                            if conn is not None:
                                conn.close()
                            conn = None
                            conn = await self._connect()
                        await conn.exchange(
                            b"".join(self._request(r.target) for r in batch),
                            len(batch),
                            self.timeout_s,
                        )
                    except (OSError, TimeoutError, ValueError) as exc:
                        error = exc
                    answers = conn.answers if conn is not None else []
                    for req, (status, body, headers) in zip(batch, answers, strict=False):
                        self._answer(req, status, body, headers, out, retry_later)
                    rest = batch[len(answers) :]
                    if not rest:
                        continue
                    if conn is not None:
                        conn.close()
                    closed_by_server = conn is not None and conn.closing
                    conn = None
                    if closed_by_server:  # "Connection: close" after an answer: just go on
                        ready.extendleft(reversed(rest))
                        continue
                    what = f"{type(error).__name__}: {error}" if error else "no answer"
                    ready.extendleft(reversed(rest[1:]))
                    retry_later(rest[0], TransientError(f"GET {self.api_url}: {what}"))
            finally:
                if conn is not None:
                    conn.close()

        workers = [asyncio.create_task(worker()) for _ in range(self.connections)]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _what(self, req: _Request) -> str:
        store_id = req.state.store.store_id
        return f"reading of {store_id} sensor {req.sensor_id} at {req.local:%Y-%m-%d %H}:00 local"

    def _answer(
        self,
        req: _Request,
        status: int,
        body: bytes,
        headers: dict[bytes, bytes],
        out: queue.Queue,
        retry_later: Callable[[_Request, TransientError], None],
    ) -> None:
        """Record one answer (or schedule its retry); a finished task becomes a page."""
        url = f"{self.api_url}{req.target.decode()}"
        if status == 429 or status >= 500:
            after = parse_retry_after(headers.get(b"retry-after", b"").decode("latin-1") or None)
            retry_later(req, TransientError(f"GET {url} answered {status}", retry_after_s=after))
            return
        if status != 200:
            raise ApiError(
                f"GET {url} answered {status}: {body[:300].decode(errors='replace')}. Check the "
                "fleet file (store names, sensor counts) and --now against the API's clock."
            )
        text = body.strip()
        digits = text[1:] if text[:1] == b"-" else text
        if not digits.isdigit() or len(digits) > 19:
            retry_later(
                req,
                TransientError(
                    f"GET {url} answered {body[:40]!r}, not an integer (truncated or malformed)"
                ),
            )
            return
        value = int(text)
        state = req.state
        state.n_received += 1
        if value == NO_READING:
            pass
        elif FAILED <= value <= INT32_MAX:
            state.hours.append(req.hour_s)
            state.sensors.append(req.sensor_id)
            state.visits.append(value)
        else:
            payload = {
                "store_name": str(state.store.fields["name"]),
                "local_hour": f"{req.local:%Y-%m-%dT%H}:00",
                "reading_start_utc": f"{datetime.fromtimestamp(req.hour_s, UTC):%Y-%m-%dT%H}:00Z",
                "sensor_id": req.sensor_id,
                "visits": value,
            }
            state.rejects.append((REASON_VALUE.format(value=value), json.dumps(payload)))
        state.remaining -= 1
        if state.remaining == 0 and state.planned:
            self._finish(state, out)

    def _finish(self, state: _TaskState, out: queue.Queue) -> None:
        hours = np.array(state.hours, dtype=np.int64)
        sensors = np.array(state.sensors, dtype=np.int32)
        order = np.lexsort((sensors, hours))
        page = Page(
            store_id=state.task.store_id,
            window_start=state.task.start,
            window_end=state.task.end,
            sensor_id=sensors[order],
            reading_start_utc=hours[order].astype("datetime64[s]"),
            visits=np.array(state.visits, dtype=np.int32)[order],
            n_received=state.n_received,
            next_cursor=None,
            done_until=state.task.end,
            rejects=state.rejects,
        )
        while True:  # block this thread (not forever: the run may be stopping)
            try:
                out.put((state.task, page), timeout=0.1)
                return
            except queue.Full:
                if self.stop.is_set():
                    raise Stopped("the load is stopping") from None


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: a batch of pipelined requests, then their answers.

    Answers are cut from the received bytes as they arrive (status line, headers, a body of
    Content-Length bytes); `exchange` returns when the batch is answered, raises when the
    connection drops, a timeout passes or an answer is not HTTP (the answers so far are kept).
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.answers: list[tuple[int, bytes, dict[bytes, bytes]]] = []
        self.expected = 0
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.closing = False  # the server said Connection: close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    async def exchange(self, requests: bytes, n: int, timeout_s: float) -> None:
        self.answers = []
        if self.closed or self.transport is None:
            raise ConnectionResetError("the connection is closed")
        self.expected = n
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(requests)
        async with asyncio.timeout(timeout_s):
            await self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            while len(self.answers) < self.expected and not self.closing:
                answer = self._cut()
                if answer is None:
                    return
                self.answers.append(answer)
                if answer[2].get(b"connection", b"").lower() == b"close":
                    self.closing = True
        except ValueError as exc:
            self._finish(exc)
            self.close()
            return
        if len(self.answers) >= self.expected:
            self._finish(None)

    def _cut(self) -> tuple[int, bytes, dict[bytes, bytes]] | None:
        """The first whole answer in the buffer, removed from it (None: not all there yet)."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > 65536:
                raise ValueError("an answer's headers exceed 64 KiB")
            return None
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError(f"not an HTTP answer: {lines[0][:60]!r}")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get(b"content-length")
        if length is None:
            raise ValueError("an answer without Content-Length (chunked answers are not read)")
        total = end + 4 + int(length)
        if len(self.buffer) < total:
            return None
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        return int(parts[1]), body, headers

    def _finish(self, exc: BaseException | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            if exc is None:
                self.waiter.set_result(None)
            else:
                self.waiter.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish(exc or ConnectionResetError("the server closed the connection"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, dict[bytes, bytes]]:
    """One HTTP/1.1 response: (status, body, lower-cased headers)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError(f"not an HTTP answer: {lines[0][:60]!r}")
    status = int(parts[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            headers[k.strip().lower()] = v.strip()
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    else:
        body = await reader.read()
        headers[b"connection"] = b"close"
    return status, body, headers
