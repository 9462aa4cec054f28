"""The hourly cycle's build: data tests on the rows it recomputed, no unit tests.

A copy of the shared small warehouse gets six new hours; one old store-day (months before
the new data) is then corrupted behind dbt's back. The cycle's build (footfall/dbtcli.py:
`dbt build --exclude test_type:unit` with FOOTFALL_DBT_TEST_SCOPE=changed) passes, because
its tests look at the recomputed rows only, and runs no unit test; a full `dbt build` on the
same warehouse fails on the corrupted day, so the test that the cycle skipped can fail. A bad
row in the new data (a reading below the -1 sentinel, written straight into raw) fails the
cycle's build: what it just built is guarded.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from footfall import dbtcli
from tests.chain import Chain

NEW_HOURS = timedelta(hours=6)
CORRUPT_STORE = "london"


@pytest.fixture(scope="module")
def advanced(small_warehouse: Chain, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """The small warehouse with six more hours loaded (not yet built)."""
    return small_warehouse.copy(tmp_path_factory.mktemp("cycle")).load(
        small_warehouse.now + NEW_HOURS
    )


def _cycle_build(chain: Chain, monkeypatch: pytest.MonkeyPatch) -> Chain:
    with monkeypatch.context() as patch:
        for name, value in dbtcli.CYCLE_ENV.items():
            patch.setenv(name, value)
        return chain.dbt_build(*dbtcli.CYCLE_BUILD_ARGS[1:])


def _corrupt_an_old_day(chain: Chain) -> str:
    """Break the status counts of an old London store-day; return its date."""
    with chain.connect(read_only=False) as con:
        (day,) = con.execute(
            "select min(local_date) + 30 from fct_store_traffic_daily where store_id = ?",
            [CORRUPT_STORE],
        ).fetchone()
        con.execute(
            "update fct_store_traffic_daily set n_ok_hours = n_ok_hours + 1 "
            "where store_id = ? and local_date = ?",
            [CORRUPT_STORE, day],
        )
    return str(day)


def test_the_cycle_tests_what_it_built_and_no_more(
    advanced: Chain, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = advanced.copy(tmp_path_factory.mktemp("cycle_scoped"))
    day = _corrupt_an_old_day(chain)
    cycle = _cycle_build(chain, monkeypatch)
    run = cycle.build
    assert run is not None
    assert run.returncode == 0, "\n".join(run.failures())
    kinds = {r["unique_id"].split(".")[0] for r in run.nodes()}
    assert "unit_test" not in kinds, "the cycle ran unit tests"
    tests = [r for r in run.nodes() if r["unique_id"].startswith("test.")]
    assert len(tests) >= 20, f"the cycle ran only {len(tests)} data tests"
    assert all(r["status"] == "pass" for r in tests)

    # The same warehouse, every test over whole tables: the old corrupted day fails.
    full = chain.dbt_build()
    assert full.build is not None
    failed = [f for f in full.build.failures() if f.startswith("fail")]
    assert any("fct_store_traffic_daily" in f or "sum_of_its" in f for f in failed), (
        f"a full build did not see the corrupted day {day}: {full.build.failures()}"
    )


def test_a_bad_new_reading_fails_the_cycle(
    advanced: Chain, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = advanced.copy(tmp_path_factory.mktemp("cycle_bad_row"))
    with chain.connect(read_only=False) as con:
        con.execute(
            """
            update raw.sensor_readings
            set visits = -5, _loaded_at = _loaded_at + interval 1 second
            where store_id = 'madrid'
                and reading_start_utc = (
                    select max(reading_start_utc) from raw.sensor_readings
                    where store_id = 'madrid'
                )
            """
        )
    run = _cycle_build(chain, monkeypatch).build
    assert run is not None
    failed = [f for f in run.failures() if f.startswith("fail")]
    assert any("stg_simulator__sensor_readings" in f or "sensor_readings" in f for f in failed), (
        run.failures()
    )
