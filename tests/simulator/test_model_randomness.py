"""Counter-based randomness: slices equal the same hours of larger windows; no copies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.model import ModelConfig, generate
from simulator.profile import Profile
from simulator.scenarios import Scenario
from simulator.timeutil import parse_instant

FLAT = ModelConfig(profile=Profile.preset("flat"))
REALISTIC = ModelConfig()


def _rows(d: dict[str, np.ndarray]) -> dict[tuple[int, int], tuple]:
    t = d["reading_start_utc"].astype(np.int64)
    others = [d[k] for k in d if k not in ("reading_start_utc", "sensor_id")]
    return {
        (int(ti), int(si)): tuple(o[i] for o in others)
        for i, (ti, si) in enumerate(zip(t, d["sensor_id"], strict=True))
    }


@pytest.fixture(scope="module")
def london_year() -> dict[str, np.ndarray]:
    return generate("london", "2023-01-01", "2024-01-01", truth=True)


def test_random_slices_equal_the_big_window(london_year: dict[str, np.ndarray]) -> None:
    big = _rows(london_year)
    rand = np.random.default_rng(7)
    t0 = int(london_year["reading_start_utc"][0].astype(np.int64)) // 3600
    n_hours = len(london_year["visits"]) // 8
    for _ in range(25):
        a = t0 + int(rand.integers(0, n_hours - 1))
        b = a + int(rand.integers(1, 400))
        sensor = None if rand.random() < 0.5 else int(rand.integers(0, 8))
        start = np.datetime64(a * 3600, "s")
        end = np.datetime64(min(b, t0 + n_hours) * 3600, "s")
        part = generate("london", start, end, sensor_id=sensor, truth=True)
        rows = _rows(part)
        assert rows, (start, end, sensor)
        assert all(big[k] == v for k, v in rows.items()), (start, end, sensor)
        # And the readings (no truth) are the truth's rows without outages.
        feed = _rows(generate("london", start, end, sensor_id=sensor))
        assert feed == {k: (v[0],) for k, v in rows.items() if v[1] != "outage"}


def test_a_slice_starting_inside_an_outage_still_sees_it(
    london_year: dict[str, np.ndarray],
) -> None:
    status = london_year["status"]
    outage = np.flatnonzero(status == "outage")
    assert len(outage) > 0, "a year of 8 sensors has outages"
    # Pick the longest run and cut a slice that starts in its middle.
    sensor = london_year["sensor_id"][outage]
    hour = london_year["reading_start_utc"][outage].astype(np.int64) // 3600
    best = None
    for s in np.unique(sensor):
        h = np.sort(hour[sensor == s])
        breaks = np.flatnonzero(np.diff(h) != 1)
        starts = np.r_[h[0], h[breaks + 1]]
        ends = np.r_[h[breaks], h[-1]] + 1
        i = int(np.argmax(ends - starts))
        if best is None or ends[i] - starts[i] > best[2] - best[1]:
            best = (int(s), int(starts[i]), int(ends[i]))
    s, first, last = best
    assert last - first >= 3, "outages are runs of hours"
    mid = (first + last) // 2
    part = generate(
        "london",
        np.datetime64(mid * 3600, "s"),
        np.datetime64((last + 2) * 3600, "s"),
        sensor_id=s,
        truth=True,
    )
    assert list(part["status"][: last - mid]) == ["outage"] * (last - mid)
    assert part["status"][last - mid] != "outage"


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    a = generate("paris", "2024-03-01", "2024-03-08", config=FLAT)
    b = generate("paris", "2024-03-01", "2024-03-08", config=FLAT)
    c = generate(
        "paris", "2024-03-01", "2024-03-08", config=ModelConfig(seed=1, profile=FLAT.profile)
    )
    assert np.array_equal(a["visits"], b["visits"])
    open_ = a["visits"] > 100
    assert np.mean(a["visits"][open_] == c["visits"][open_]) < 0.01


def test_neighbouring_sensors_and_days_are_not_copies() -> None:
    """The original's bug: sensor i+1 on day d repeated sensor i on day d+1."""
    d = generate("paris", "2023-01-02", "2024-01-01", config=FLAT, truth=True)
    n_s = 20
    draws = d["visits_true"].reshape(-1, n_s).astype(float)  # (hour, sensor)
    open_rows = draws.min(axis=1) > 0
    assert open_rows.sum() > 2000

    def check(x: np.ndarray, y: np.ndarray) -> None:
        keep = (x > 0) & (y > 0)
        x, y = x[keep], y[keep]
        assert np.mean(x == y) < 0.01  # equal ints by chance: about 3 in 10 000
        r = np.corrcoef(x, y)[0, 1]
        assert abs(r) < 5 / math.sqrt(len(x)), r

    day = 24
    check(draws[day:, :-1], draws[:-day, 1:])  # sensor i, day d+1 vs sensor i+1, day d
    check(draws[:, :-1], draws[:, 1:])  # neighbouring sensors, same hour
    check(draws[day:, :], draws[:-day, :])  # same sensor, neighbouring days
    check(draws[1:, :], draws[:-1, :])  # same sensor, neighbouring hours


def test_scenarios_are_slice_consistent_too() -> None:
    sc = Scenario(
        kind="outage",
        store_id="roma",
        sensor_id=2,
        start_utc=parse_instant("2024-06-03T09:00:00Z"),
        end_utc=parse_instant("2024-06-03T15:00:00Z"),
    )
    config = ModelConfig(scenarios=(sc,))
    big = generate("roma", "2024-06-01", "2024-06-10", config=config, truth=True)
    part = generate("roma", "2024-06-03T12:00:00Z", "2024-06-04", config=config, truth=True)
    big_rows = _rows(big)
    assert all(big_rows[k] == v for k, v in _rows(part).items())
    for hour in range(8, 16):
        when = np.datetime64(f"2024-06-03T{hour:02d}:00:00")
        status = big_rows[(int(when.astype(np.int64)), 2)][1]
        assert (status == "outage") == (9 <= hour < 15), (hour, status)
