"""Checking a page of readings: strict parsing, every bad row rejected with a reason."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import orjson
import pytest

from loaders import pages
from loaders.errors import TransientError

START = datetime(2024, 1, 1, 0)
END = datetime(2024, 1, 1, 6)
SENSORS = np.array([0, 1, 2])


def body(times, sensors, visits, *, next_cursor=None, end_utc="2024-01-01T06:00:00Z", **extra):
    doc = {
        "store_id": "paris",
        "start_utc": "2024-01-01T00:00:00Z",
        "end_utc": end_utc,
        "n_readings": len(times),
        "next_cursor": next_cursor,
        "readings": {"reading_start_utc": times, "sensor_id": sensors, "visits": visits},
    }
    doc.update(extra)
    return json.dumps(doc).encode()


def parse(raw: bytes) -> pages.Page:
    return pages.parse_page(raw, "paris", SENSORS, START, END)


def test_time_column_accepts_only_exact_utc_times():
    values = [
        "2024-01-01T00:00:00Z",  # ok
        "2024-02-29T23:00:00Z",  # ok, leap day
        "2023-02-29T00:00:00Z",  # no such day
        "2024-02-30T00:00:00Z",  # no such day
        "2024-01-01T00:00:00+00:00",  # an offset, not the API's form
        "2024-01-01 00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-01-01T00:00:00ZZ",
        "2024-01-01T00:00:00",
        "",
        "2024-01-01T00:30:00Z",  # well formed (the hour check is separate)
    ]
    seconds, ok = pages.time_column(values)
    assert ok.tolist() == [True, True, False, False, False, False, False, False, False, False,
                           False, True]  # fmt: skip
    expected = [int(np.datetime64(v[:19], "s").astype(np.int64)) for v in values[:2]]
    assert seconds[:2].tolist() == expected
    assert seconds[-1] % 3600 == 1800


def test_time_column_rejects_non_strings_without_failing_the_page():
    seconds, ok = pages.time_column(["2024-01-01T01:00:00Z", 5, None, "é2024-01-01T01:00:00Z"])
    assert ok.tolist() == [True, False, False, False]
    assert seconds[0] == int(np.datetime64("2024-01-01T01:00:00", "s").astype(np.int64))


def test_int_column_rejects_anything_but_json_integers():
    values, ok = pages.int_column([3, True, 1.5, 2.0, "4", None, 2**70, -1])
    assert ok.tolist() == [True, False, False, False, False, False, False, True]
    assert values[0] == 3 and values[-1] == -1
    values, ok = pages.int_column([1, 2, 3])
    assert ok.all() and values.dtype == np.int64


def test_clean_page_is_accepted_whole():
    times = [f"2024-01-01T0{h}:00:00Z" for h in range(6) for _ in SENSORS]
    sensors = [s for _ in range(6) for s in SENSORS.tolist()]
    visits = list(range(len(times)))
    page = parse(body(times, sensors, visits))
    assert page.n_accepted == page.n_received == 18
    assert page.rejects == []
    assert page.visits.tolist() == visits
    assert page.sensor_id.tolist() == sensors
    assert str(page.reading_start_utc[-1]) == "2024-01-01T05:00:00"
    assert page.done_until == END  # the last page: done up to the window's end


def test_every_bad_row_is_rejected_with_its_reason_and_payload():
    rows = [
        ("2024-01-01T00:00:00Z", 0, 10),  # ok
        ("2024-01-01T00:00:00Z", 1, 11),  # ok
        ("2024-01-01T00:00:00Z", 1, 11),  # duplicate, same visits
        ("2024-01-01T00:00:00Z", 1, 99),  # duplicate, other visits
        ("2024-01-01T00:00:00Z", 9, 12),  # unknown sensor
        ("2024-01-01T00:00:00Z", 2, "many"),  # wrong type
        ("2024-01-01T00:00:00Z", "2", 12),  # wrong type
        ("2024-01-01T00:00:00Z", 2, 1.5),  # a float is not a count
        ("2024-01-01T00:30:00Z", 2, 12),  # not on an hour
        ("2024-01-01T07:00:00Z", 2, 12),  # after the window
        ("2023-12-31T23:00:00Z", 2, 12),  # before the window
        ("yesterday", 2, 12),
        ("2024-01-01T01:00:00Z", 2, -2),  # only -1 may be negative
        ("2024-01-01T01:00:00Z", 0, -1),  # the failure sentinel is kept
    ]
    times, sensors, visits = (list(c) for c in zip(*rows, strict=True))
    page = parse(body(times, sensors, visits))
    assert page.n_received == len(rows)
    assert page.n_accepted + len(page.rejects) == len(rows)  # nothing silently dropped
    assert page.sensor_id.tolist() == [0, 1, 0]
    assert page.visits.tolist() == [10, 11, -1]
    reasons = [r for r, _ in page.rejects]
    assert reasons == [
        pages.REASON_DUPLICATE,
        pages.REASON_CONFLICT,
        pages.REASON_UNKNOWN_SENSOR,
        pages.REASON_VISITS_TYPE,
        pages.REASON_SENSOR_TYPE,
        pages.REASON_VISITS_TYPE,
        pages.REASON_NOT_HOUR,
        pages.REASON_OUTSIDE,
        pages.REASON_OUTSIDE,
        pages.REASON_TIME,
        pages.REASON_VISITS_RANGE,
    ]
    payloads = [json.loads(p) for _, p in page.rejects]
    assert payloads[0] == {"reading_start_utc": "2024-01-01T00:00:00Z", "sensor_id": 1,
                           "visits": 11}  # fmt: skip
    assert payloads[3]["visits"] == "many"
    assert payloads[4]["sensor_id"] == "2"
    assert payloads[9]["reading_start_utc"] == "yesterday"


def test_a_middle_page_is_done_up_to_its_last_accepted_hour():
    times = ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T05:00:00Z"]
    page = parse(body(times, [0, 0, 7], [1, 2, 3], next_cursor="abc"))
    # the row at 05:00 is rejected (unknown sensor): it must not move the progress
    assert page.done_until == datetime(2024, 1, 1, 2)
    assert page.next_cursor == "abc"
    empty = parse(body([], [], [], next_cursor="abc"))
    assert empty.done_until is None


def test_a_last_page_cut_at_the_api_now_is_done_up_to_that_now():
    page = parse(body([], [], [], end_utc="2024-01-01T03:00:00Z"))
    assert page.done_until == datetime(2024, 1, 1, 3)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"<html>proxy error</html>",
        body(["2024-01-01T00:00:00Z"], [0], [1])[:-7],  # truncated
        body(["2024-01-01T00:00:00Z"], [0, 1], [1]),  # columns of unequal length
        body(["2024-01-01T00:00:00Z"], [0], [1], n_readings=5),
        body(["2024-01-01T00:00:00Z"], [0], [1], store_id="roma"),
        body(["2024-01-01T00:00:00Z"], [0], [1], readings=None),
        body([], [], [], end_utc="soon"),
        orjson.dumps([1, 2, 3]),
    ],
)
def test_a_broken_page_is_refetched_not_half_used(raw):
    with pytest.raises(TransientError):
        parse(raw)


def test_checking_a_large_page_stays_vectorised():
    n_hours = 20_000
    hours = np.arange(np.datetime64("2020-01-01T00"), np.datetime64("2020-01-01T00") + n_hours)
    times = np.char.add(np.datetime_as_string(np.repeat(hours, 3), unit="s"), "Z").tolist()
    sensors = np.tile(SENSORS, n_hours).tolist()
    visits = list(range(len(times)))
    page = pages.parse_page(
        body(times, sensors, visits, end_utc="2030-01-01T00:00:00Z"),
        "paris",
        SENSORS,
        datetime(2020, 1, 1),
        datetime(2030, 1, 1),
    )
    assert page.n_accepted == 60_000 and not page.rejects
    assert page.reading_start_utc.dtype == np.dtype("datetime64[s]")
    assert (np.diff(page.reading_start_utc[::3].astype(np.int64)) == 3600).all()
