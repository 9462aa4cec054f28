"""The command line's own pieces: option parsing, the progress bar, the summary."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from loaders.cli import ConsoleReporter, parse_stores, parse_time, summary
from loaders.errors import OptionError
from loaders.load import RunResult, StoreCounts
from loaders.pages import Page
from loaders.plan import Task
from loaders.writer import PageCounts

D0 = datetime(2024, 1, 1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", datetime(2024, 1, 1)),
        ("2024-01-01T05:00:00Z", datetime(2024, 1, 1, 5)),
        ("2024-01-01T05:00", datetime(2024, 1, 1, 5)),
        ("2024-01-01T07:00:00+02:00", datetime(2024, 1, 1, 5)),
        ("2024-01-01T00:00:00-05:00", datetime(2024, 1, 1, 5)),
    ],
)
def test_times_are_read_as_utc(text, expected):
    assert parse_time(text, "--start") == expected


@pytest.mark.parametrize("text", ["2024-02-30", "01/02/2024", "2024-01-01T05:30:00Z", "now"])
def test_bad_times_are_refused(text):
    with pytest.raises(OptionError, match="--end"):
        parse_time(text, "--end")


def test_stores_are_comma_separated_repeatable_and_case_insensitive():
    assert parse_stores(["Paris,berlin", " roma ", "paris"]) == ("paris", "berlin", "roma")
    assert parse_stores([]) == ()


def page(done_until: datetime, n: int) -> Page:
    return Page(
        store_id="paris",
        window_start=D0,
        window_end=D0 + 10 * H,
        sensor_id=np.zeros(n, np.int32),
        reading_start_utc=np.zeros(n, "datetime64[s]"),
        visits=np.zeros(n, np.int32),
        n_received=n,
        next_cursor=None,
        done_until=done_until,
    )


def test_the_progress_bar_advances_with_the_hours_done():
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, bar=True, verbose=True)
    result = RunResult("L", per_store={"paris": StoreCounts()})
    reporter.planned(result, 10 * 20, {"paris": 20})
    task = Task("paris", D0, D0 + 10 * H)
    reporter.page_written(task, page(D0 + 4 * H, 80), PageCounts(80, 80, 0, 0))
    assert reporter.bar.n == 80
    reporter.page_written(task, page(D0 + 10 * H, 120), PageCounts(120, 100, 20, 3))
    assert reporter.bar.n == 200
    reporter.close()
    text = stream.getvalue()
    assert "200/200" in text
    assert "page paris 2024-01-01T00:00:00Z..2024-01-01T10:00:00Z: 120 rows, 100 new, " \
           "20 changed, 3 rejects" in text  # fmt: skip


def test_no_bar_unless_asked():
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, bar=False, verbose=False)
    reporter.planned(RunResult("L"), 100, {"paris": 20})
    reporter.page_written(Task("paris", D0, D0 + H), page(D0 + H, 20), PageCounts(20, 20, 0, 0))
    reporter.close()
    assert stream.getvalue() == ""


def test_the_summary_has_rows_per_store_and_totals():
    result = RunResult(
        "L1",
        status="success",
        window_start=D0,
        window_end=D0 + 5 * H,
        per_store={"paris": StoreCounts(1000, 900, 2, 5), "berlin": StoreCounts(300, 300, 0, 0)},
        duration_s=1.25,
        aborted_runs=["L0"],
    )
    text = summary(result, Path("data/w.duckdb"))
    assert "load L1: success in 1.2 s" in text or "load L1: success in 1.3 s" in text
    assert "window 2024-01-01T00:00:00Z .. 2024-01-01T05:00:00Z" in text
    assert "1 interrupted run(s) as aborted: L0" in text
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines()}
    assert lines["paris"] == ["1,000", "900", "2", "5"]
    assert lines["berlin"] == ["300", "300", "0", "0"]
    assert lines["total"] == ["1,300", "1,200", "2", "5"]
