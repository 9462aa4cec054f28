"""Retries: exponential backoff with jitter, Retry-After honoured, a bounded number of tries."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest

from loaders.errors import ApiError, TransientError
from loaders.retry import RetryPolicy, Stopped, call_with_retries, parse_retry_after


def test_delays_grow_exponentially_with_jitter_and_a_cap():
    policy = RetryPolicy(max_attempts=10, base_s=0.1, max_s=1.0)
    rng = random.Random(1)
    for attempt, step in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert min(delays) >= step / 2
        assert max(delays) <= step
        assert len(set(delays)) > 100  # jittered, not constant


def test_retry_after_is_a_floor():
    policy = RetryPolicy(base_s=0.1, max_s=1.0)
    assert policy.delay(1, 3.0, random.Random(0)) == 3.0
    assert policy.delay(5, 0.0, random.Random(0)) >= 0.5


def test_parse_retry_after():
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:05 GMT", now) == 5.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_transient_failures_are_retried_until_success():
    calls = []
    waits = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("503", retry_after_s=0.01 if len(calls) == 2 else None)
        return "ok"

    policy = RetryPolicy(max_attempts=5, base_s=0.001, max_s=0.002)
    result = call_with_retries(
        flaky, policy, "GET /x", on_retry=lambda n, exc, wait: waits.append((n, wait))
    )
    assert result == "ok" and len(calls) == 3
    assert [n for n, _ in waits] == [1, 2]
    assert waits[1][1] >= 0.01  # the Retry-After of the second failure was honoured


def test_attempts_are_bounded_and_the_error_says_what_failed():
    calls = []

    def broken():
        calls.append(1)
        raise TransientError("GET /api/v1/readings answered 503")

    policy = RetryPolicy(max_attempts=4, base_s=0.001, max_s=0.001)
    with pytest.raises(ApiError) as err:
        call_with_retries(broken, policy, "readings of paris")
    assert len(calls) == 4
    message = str(err.value)
    assert "readings of paris failed 4 times" in message
    assert "503" in message
    assert "FOOTFALL_LOADER_MAX_ATTEMPTS" in message


def test_a_stopping_load_does_not_keep_retrying():
    stop = threading.Event()

    def broken():
        stop.set()
        raise TransientError("503")

    with pytest.raises(Stopped):
        call_with_retries(broken, RetryPolicy(base_s=5.0, max_s=5.0), "x", stop=stop)


def test_other_errors_are_not_retried():
    calls = []

    def bug():
        calls.append(1)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        call_with_retries(bug, RetryPolicy(base_s=0.001), "x")
    assert len(calls) == 1
