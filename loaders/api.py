"""The simulator's sensor API over HTTP (docs/contracts.md section 1), with retries."""

from __future__ import annotations

import random
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import numpy as np
import orjson

from loaders.errors import ApiError, ApiUnreachable, TransientError
from loaders.pages import Page, parse_page
from loaders.plan import first_hour_utc
from loaders.retry import RetryPolicy, call_with_retries, parse_retry_after

STORE_FIELDS = (
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


@dataclass(frozen=True)
class Store:
    """A store as the API describes it, with the ids of its sensors."""

    fields: dict[str, Any]
    sensors: tuple[dict[str, Any], ...]

    @property
    def store_id(self) -> str:
        return str(self.fields["store_id"])

    @property
    def timezone(self) -> str:
        return str(self.fields["timezone"])

    @property
    def opened_on(self) -> date:
        return date.fromisoformat(str(self.fields["opened_on"]))

    @property
    def opened_at_utc(self) -> datetime | None:
        """The first hour as the API states it (naive UTC), if it does."""
        value = self.fields.get("opened_at_utc")
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment

    def first_hour_utc(self) -> datetime:
        """The store's first hour: the API's opened_at_utc, else local midnight of opened_on."""
        return self.opened_at_utc or first_hour_utc(self.opened_on, self.timezone)

    @property
    def sensor_ids(self) -> np.ndarray:
        return np.array(sorted(int(s["sensor_id"]) for s in self.sensors), dtype=np.int64)


def iso_z(moment: datetime) -> str:
    """A naive UTC datetime as 2024-01-01T00:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiClient:
    """GET requests to the API, each retried on transient failures; one HTTP client per thread."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        policy: RetryPolicy,
        stop: threading.Event | None = None,
        on_retry: Callable[[str, int, TransientError, float], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.policy = policy
        self.stop = stop
        self.on_retry = on_retry
        # One TLS context for every thread's client (loading the CA bundle takes a while);
        # none at all for plain http, the simulator's case.
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context() if self.base_url.startswith("https") else False
        )
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(
                base_url=self.base_url, timeout=self.timeout_s, verify=self._verify
            )
            self._local.client = client
            self._local.rng = random.Random()
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def _get_once(self, path: str, params: dict[str, Any] | None) -> bytes:
        """One GET; the body on 200, TransientError when worth retrying, ApiError otherwise."""
        url = f"{self.base_url}{path}"
        try:
            response = self._client().get(path, params=params)
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"GET {url} timed out after {self.timeout_s:g} s ({exc})"
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(f"GET {url} failed: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 200:
            return response.content
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429 or status >= 500:
            raise TransientError(f"GET {url} answered {status}", retry_after_s=retry_after)
        detail = response.text[:300]
        raise ApiError(
            f"GET {response.request.url} answered {status}: {detail}. "
            "Check FOOTFALL_API_URL and the loader's options."
        )

    def _call(self, what: str, attempt: Callable[[], Any]) -> Any:
        def report(n: int, exc: TransientError, wait: float) -> None:
            if self.on_retry is not None:
                self.on_retry(what, n, exc, wait)

        rng = getattr(self._local, "rng", None)
        return call_with_retries(
            attempt, self.policy, what, stop=self.stop, rng=rng, on_retry=report
        )

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET path and parse its JSON body, retrying transient failures and broken bodies."""

        def attempt() -> Any:
            body = self._get_once(path, params)
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise TransientError(
                    f"GET {path}: the body is not valid JSON, truncated or malformed ({exc})"
                ) from None

        return self._call(f"GET {self.base_url}{path}", attempt)

    def health(self) -> dict[str, Any]:
        """GET /health; ApiUnreachable at once when nothing listens at the URL."""
        try:
            self._client().get("/health")
        except httpx.ConnectError as exc:
            reason = str(exc) or type(exc).__name__
            raise ApiUnreachable(
                f"no API answers at {self.base_url} ({reason}): start the simulator with "
                "`make simulator`, or set FOOTFALL_API_URL to where it runs."
            ) from None
        except httpx.HTTPError:
            pass  # anything else: the retried call below says what is wrong
        doc = self.get_json("/health")
        if not isinstance(doc, dict) or "now_utc" not in doc:
            raise ApiError(f"{self.base_url}/health answered {doc!r}, not footfall's simulator")
        return doc

    def stores(self, concurrency: int = 4) -> list[Store]:
        """Every store, with its sensors (one request per store, `concurrency` at a time)."""
        doc = self.get_json("/api/v1/stores")
        try:
            listed = [dict(s) for s in doc["stores"]]
        except (KeyError, TypeError) as exc:
            raise ApiError(
                f"{self.base_url}/api/v1/stores answered an unexpected body: {exc}"
            ) from None

        def with_sensors(fields: dict[str, Any]) -> Store:
            store_id = fields.get("store_id")
            sensors = self.get_json(f"/api/v1/stores/{store_id}/sensors")
            try:
                return Store(fields, tuple(dict(s) for s in sensors["sensors"]))
            except (KeyError, TypeError) as exc:
                raise ApiError(
                    f"the sensors of store {store_id!r} came in an unexpected body: {exc}"
                ) from None

        if len(listed) <= 1 or concurrency <= 1:
            return [with_sensors(f) for f in listed]
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="loader-meta") as pool:
            return list(pool.map(with_sensors, listed))

    def readings_page(
        self,
        store: Store,
        sensor_ids: np.ndarray,
        start: datetime,
        end: datetime,
        page_size: int,
        cursor: str | None,
    ) -> Page:
        """One checked page of a store's readings over [start, end), from `cursor` on."""
        params: dict[str, Any] = {
            "store_id": store.store_id,
            "start": iso_z(start),
            "end": iso_z(end),
            "page_size": max(page_size, len(sensor_ids)),  # a page holds whole hours
        }
        if cursor is not None:
            params["cursor"] = cursor

        def attempt() -> Page:
            body = self._get_once("/api/v1/readings", params)
            return parse_page(body, store.store_id, sensor_ids, start, end)

        where = f" from cursor {cursor}" if cursor else ""
        what = f"readings of {store.store_id} for {iso_z(start)}..{iso_z(end)}{where}"
        return self._call(what, attempt)
