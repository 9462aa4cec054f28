"""The flat preset is the original model: its statistics match the parameters of DESIGN.md.

Tolerances are 5 standard errors of the sample at hand, never fixed numbers, so a test fails
only when the model is wrong (or with a probability below one in a million).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from simulator.fleet import default_fleet
from simulator.model import ModelConfig, generate
from simulator.profile import Profile

FLAT = ModelConfig(profile=Profile.preset("flat"))
Z = 5.0


def _rate_ok(hits: int, n: int, p: float) -> tuple[float, float]:
    """(observed rate, allowed deviation) for a Binomial(n, p) count."""
    return hits / n, Z * math.sqrt(p * (1 - p) / n)


def test_default_fleet_is_the_table_of_the_design() -> None:
    table = {
        # store: (sensors, opened, timezone, mean, std, p_anom, p_fail)
        "madrid": (1, date(2024, 1, 1), "Europe/Madrid", 1000, 150, 0.01, 0.001),
        "paris": (20, date(2018, 1, 1), "Europe/Paris", 7000, 1050, 0.07, 0.007),
        "berlin": (6, date(2022, 1, 1), "Europe/Berlin", 3000, 450, 0.03, 0.003),
        "roma": (4, date(2019, 1, 1), "Europe/Rome", 6000, 900, 0.06, 0.006),
        "london": (8, date(2014, 1, 1), "Europe/London", 11000, 1650, 0.11, 0.011),
    }
    stores = {s.store_id: s for s in default_fleet()}
    assert list(stores) == list(table)
    for sid, (n, opened, tz, mean, std, pa, pf) in table.items():
        s = stores[sid]
        got = (s.n_sensors, s.opened_on, s.timezone, s.mean_visits, s.std_visits)
        assert got == (n, opened, tz, mean, std), sid
        assert s.p_anomaly == pytest.approx(pa) and s.p_failure == pytest.approx(pf), sid
        assert (s.open_hour_local, s.close_hour_local, s.closed_isodow) == (8, 18, (7,))
        assert s.name.lower() == sid


@pytest.fixture(scope="module")
def paris_truth() -> dict[str, np.ndarray]:
    return generate("paris", "2022-01-01", "2024-01-01", config=FLAT, truth=True)


def test_flat_failure_rate_at_every_hour(paris_truth: dict[str, np.ndarray]) -> None:
    store = default_fleet()[1]
    status, visits = paris_truth["status"], paris_truth["visits"]
    failed = status == "failed"
    assert np.all(visits[failed] == -1) and np.all(visits[~failed] >= 0)
    rate, tol = _rate_ok(int(failed.sum()), len(status), store.p_failure)
    assert abs(rate - store.p_failure) < tol
    # Failures also happen when the store is closed, at the same rate (a closed hour's true
    # value is 0; an open hour's draw, 6.7 std above 0, never is).
    closed_hours = paris_truth["visits_true"] == 0
    n_closed = int(closed_hours.sum())
    rate, tol = _rate_ok(int((failed & closed_hours).sum()), n_closed, store.p_failure)
    assert abs(rate - store.p_failure) < tol


def test_flat_open_draws_match_normal_mean_std(paris_truth: dict[str, np.ndarray]) -> None:
    store = default_fleet()[1]
    ok = paris_truth["visits"][paris_truth["status"] == "ok"].astype(float)
    n = len(ok)
    assert n > 50_000
    # int() truncates a positive draw: E[int(x)] = mean - 0.5 up to a negligible term.
    assert abs(ok.mean() - (store.mean_visits - 0.5)) < Z * store.std_visits / math.sqrt(n)
    assert abs(ok.std() - store.std_visits) < Z * store.std_visits / math.sqrt(2 * n)
    # Normal shape: the share below mean - 2 std is Phi(-2).
    phi_m2 = 0.5 * math.erfc(2 / math.sqrt(2))
    rate, tol = _rate_ok(int((ok < store.mean_visits - 2 * store.std_visits).sum()), n, phi_m2)
    assert abs(rate - phi_m2) < tol


def test_flat_anomalies_are_a_tenth_at_rate_p_anom(paris_truth: dict[str, np.ndarray]) -> None:
    store = default_fleet()[1]
    status = paris_truth["status"]
    open_not_failed = np.isin(status, ["ok", "anomalous"])
    anomalous = status == "anomalous"
    rate, tol = _rate_ok(int(anomalous.sum()), int(open_not_failed.sum()), store.p_anomaly)
    assert abs(rate - store.p_anomaly) < tol
    v, vt = paris_truth["visits"][anomalous], paris_truth["visits_true"][anomalous]
    assert np.array_equal(v, vt // 10)
    ok = status == "ok"
    assert np.array_equal(paris_truth["visits"][ok], paris_truth["visits_true"][ok])


@pytest.mark.parametrize("store", default_fleet(), ids=lambda s: s.store_id)
def test_flat_level_of_every_store(store) -> None:
    d = generate(store, "2024-01-01", "2025-01-01", config=FLAT, truth=True)
    ok = d["visits"][d["status"] == "ok"].astype(float)
    n = len(ok)
    assert abs(ok.mean() - (store.mean_visits - 0.5)) < Z * store.std_visits / math.sqrt(n)
    assert abs(ok.std() - store.std_visits) < Z * store.std_visits / math.sqrt(2 * n)
    assert d["visits"].min() >= -1


def test_zero_exactly_when_closed_in_local_time_across_dst() -> None:
    """Open = Monday-Saturday 08:00-18:00 local, also in the weeks of both DST changes."""
    for start, end in (("2024-03-25", "2024-04-03"), ("2024-10-21", "2024-10-30")):
        d = generate("paris", start, end, config=FLAT, truth=True)
        tz = ZoneInfo("Europe/Paris")
        hours = np.unique(d["reading_start_utc"])
        expected_open = {}
        for h in hours:
            local = datetime.fromtimestamp(int(h.astype(np.int64)), tz=UTC).astimezone(tz)
            expected_open[h] = local.isoweekday() != 7 and 8 <= local.hour < 18
        is_open = np.array([expected_open[h] for h in d["reading_start_utc"]])
        status = d["status"]
        assert np.all(np.isin(status[is_open], ["ok", "anomalous", "failed"]))
        assert np.all(np.isin(status[~is_open], ["closed", "failed"]))
        assert np.all(d["visits"][status == "closed"] == 0)


def test_no_reading_before_the_opening_local_midnight() -> None:
    d = generate("berlin", "2021-12-30", "2022-01-02", config=FLAT)
    # Berlin opened 2022-01-01, local midnight = 2021-12-31T23:00Z (CET, UTC+1).
    assert d["reading_start_utc"][0] == np.datetime64("2021-12-31T23:00:00")
    assert len(d["visits"]) == 6 * 25
    assert len(generate("berlin", "2020-01-01", "2021-12-31T23:00:00Z")["visits"]) == 0


def test_columns_follow_the_contract() -> None:
    d = generate("roma", "2024-05-06T06:00:00Z", "2024-05-06T09:30:00Z")
    assert list(d) == ["reading_start_utc", "sensor_id", "visits"]
    assert d["reading_start_utc"].dtype == np.dtype("datetime64[s]")
    # Hours starting in [06:00, 09:30): 06, 07, 08, 09, each with sensors 0..3 in order.
    assert d["sensor_id"].tolist() == [0, 1, 2, 3] * 4
    assert str(d["reading_start_utc"][-1]) == "2024-05-06T09:00:00"
    t = generate("roma", "2024-05-06T06:00:00Z", "2024-05-06T09:30:00Z", truth=True)
    assert list(t) == ["reading_start_utc", "sensor_id", "visits", "status", "visits_true"]
    with pytest.raises(KeyError, match="sensors 0 to 3"):
        generate("roma", "2024-05-06", "2024-05-07", sensor_id=4)
    with pytest.raises(KeyError, match="unknown store"):
        generate("rome", "2024-05-06", "2024-05-07")
