"""What a run reads: full history first, then the watermark with an overlap, plus any gaps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from loaders import plan

H = timedelta(hours=1)
D0 = datetime(2024, 1, 1)


def at(hours: int) -> datetime:
    return D0 + hours * H


def test_first_hour_is_local_midnight_of_the_opening_day_in_utc():
    assert plan.first_hour_utc(date(2018, 1, 1), "Europe/Paris") == datetime(2017, 12, 31, 23)
    assert plan.first_hour_utc(date(2014, 1, 1), "Europe/London") == datetime(2014, 1, 1)
    assert plan.first_hour_utc(date(2024, 7, 1), "Europe/Madrid") == datetime(2024, 6, 30, 22)


def test_interval_algebra():
    assert plan.merge([(at(5), at(8)), (at(0), at(2)), (at(2), at(3)), (at(7), at(9))]) == [
        (at(0), at(3)),
        (at(5), at(9)),
    ]
    assert plan.merge([(at(3), at(3))]) == []
    assert plan.subtract([(at(0), at(10))], [(at(2), at(3)), (at(5), at(12))]) == [
        (at(0), at(2)),
        (at(3), at(5)),
    ]
    assert plan.subtract([(at(0), at(4))], []) == [(at(0), at(4))]
    assert plan.clip([(at(-5), at(2)), (at(8), at(20))], at(0), at(10)) == [
        (at(0), at(2)),
        (at(8), at(10)),
    ]


def test_a_store_never_loaded_reads_its_full_history():
    assert plan.incremental_windows(at(0), at(100), [], [], 24) == [(at(0), at(100))]
    assert plan.incremental_windows(at(100), at(100), [], [], 24) == []  # not open yet


def test_later_runs_read_from_the_watermark_with_an_overlap():
    done = [(at(0), at(100))]
    assert plan.incremental_windows(at(0), at(101), done, done, 24) == [(at(76), at(101))]
    # nothing new: the overlap is still re-read for late data
    assert plan.incremental_windows(at(0), at(100), done, done, 24) == [(at(76), at(100))]
    # the overlap never reaches before the store's first hour
    assert plan.incremental_windows(at(90), at(101), done, done, 24) == [(at(90), at(101))]


def test_an_interrupted_run_leaves_gaps_the_next_run_fills():
    # tasks of a killed run: [0,50) finished up to 20, [50,100) finished, [100,150) not started
    intended = [(at(0), at(50)), (at(50), at(100)), (at(100), at(150))]
    done = [(at(0), at(20)), (at(50), at(100))]
    assert plan.incremental_windows(at(0), at(150), intended, done, 5) == [
        (at(20), at(50)),
        (at(95), at(150)),
    ]
    # not a single page written: everything is read again
    assert plan.incremental_windows(at(0), at(150), intended, [], 5) == [(at(0), at(150))]


def test_a_first_load_with_a_window_does_not_pull_older_history_later():
    # `--start 2024-01-01+1000h --end now` on a fresh warehouse, then a plain run
    intended = done = [(at(1000), at(1200))]
    assert plan.incremental_windows(at(0), at(1201), intended, done, 24) == [(at(1176), at(1201))]


def test_windows_are_cut_into_tasks():
    tasks = plan.chunk("paris", [(at(0), at(10)), (at(20), at(24))], 4)
    assert [(t.start, t.end) for t in tasks] == [
        (at(0), at(4)),
        (at(4), at(8)),
        (at(8), at(10)),
        (at(20), at(24)),
    ]
    assert {t.store_id for t in tasks} == {"paris"}
    assert [t.hours for t in tasks] == [4, 4, 2, 4]
