"""Retrying a request: exponential backoff with jitter, honouring Retry-After, bounded attempts."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from loaders.errors import ApiError, TransientError

T = TypeVar("T")


class Stopped(Exception):
    """The load is stopping (another part failed); give up without retrying."""


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` tries; before try n+1 wait about base * 2**n seconds (capped)."""

    max_attempts: int = 8
    base_s: float = 0.2
    max_s: float = 10.0

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed try number `attempt` (1-based): equal jitter.

        Half of the exponential step is fixed, the other half random, so that concurrent
        clients spread out; a Retry-After from the server is a floor, never shortened.
        """
        step = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        wait = step / 2 + rng.uniform(0, step / 2)
        if retry_after_s is not None:
            wait = max(wait, retry_after_s)
        return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def call_with_retries(
    attempt_once: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    *,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
    on_retry: Callable[[int, TransientError, float], None] | None = None,
) -> T:
    """Call `attempt_once` until it returns, retrying TransientError with backoff.

    After `policy.max_attempts` failed tries raise ApiError naming `what` and the last error.
    `stop` cuts the waiting short when the load is being stopped.
    """
    rng = rng or random.Random()
    attempt = 0
    while True:
        if stop is not None and stop.is_set():
            raise Stopped(what)
        attempt += 1
        try:
            return attempt_once()
        except TransientError as exc:
            if attempt >= policy.max_attempts:
                raise ApiError(
                    f"{what} failed {attempt} times in a row; last error: {exc}. "
                    "The API may be overloaded or broken: check the simulator's log, then run "
                    "the loader again (it resumes where it stopped; FOOTFALL_LOADER_MAX_ATTEMPTS "
                    "sets how many tries a request gets)."
                ) from exc
            wait = policy.delay(attempt, exc.retry_after_s, rng)
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            if stop is not None:
                if stop.wait(wait):
                    raise Stopped(what) from exc
            else:
                time.sleep(wait)
