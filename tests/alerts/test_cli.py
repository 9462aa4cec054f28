"""`python -m footfall.alerts` over a mart file made in the test, with real receivers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from footfall.alerts import cli
from tests.alerts.helpers import T0, alert, write_alerts
from tests.conftest import REPO_ROOT

H = dt.timedelta(hours=1)


@pytest.fixture
def env(tmp_path, monkeypatch, smtp_inbox, webhook_inbox):
    """Serving snapshot and state in tmp_path; both channels on, pointed at the receivers."""
    values = {
        "FOOTFALL_SERVING": str(tmp_path / "serving.duckdb"),
        "FOOTFALL_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "FOOTFALL_ALERT_STATE": str(tmp_path / "alerts_state.json"),
        "FOOTFALL_ALERT_SMTP_HOST": smtp_inbox.host,
        "FOOTFALL_ALERT_SMTP_PORT": str(smtp_inbox.port),
        "FOOTFALL_ALERT_EMAIL_TO": "owner@test.local",
        "FOOTFALL_ALERT_WEBHOOK_URL": webhook_inbox.url,
        "FOOTFALL_ALERT_NOTIFY_MIN_SEVERITY": "warning",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def serving(env):
    return Path(env["FOOTFALL_SERVING"])


def test_prints_open_alerts_and_exits_1_on_a_critical(env, capsys, smtp_inbox, webhook_inbox):
    crit = alert(rule="store_below_floor", sensor_id=None, severity="critical")
    warn = alert(sensor_id=2)
    old = alert(sensor_id=3, opened=T0 - 50 * H, resolved=T0 - 40 * H)
    write_alerts(serving(env), [warn, crit, old])
    assert cli.main([]) == cli.EXIT_CRITICAL
    out = capsys.readouterr().out
    assert "2 open alert(s), 1 critical" in out
    assert "madrid/2" in out and "store_below_floor" in out
    assert "madrid/3" not in out  # resolved: not an open alert
    assert "sent 2 alert(s) by email" in out and "sent 2 alert(s) by webhook" in out
    assert sorted(smtp_inbox.alert_ids()) == sorted([warn.alert_id, crit.alert_id])
    assert sorted(webhook_inbox.alert_ids()) == sorted([warn.alert_id, crit.alert_id])
    # --all shows the history, the resolved episode too.
    assert cli.main(["--all", "--no-notify"]) == cli.EXIT_CRITICAL
    assert "madrid/3" in capsys.readouterr().out


def test_sent_once_per_episode_across_runs(env, smtp_inbox, webhook_inbox):
    a = alert()
    write_alerts(serving(env), [a])
    assert cli.main([]) == cli.EXIT_OK
    assert cli.main([]) == cli.EXIT_OK
    assert len(smtp_inbox.messages) == 1 and len(webhook_inbox.bodies) == 1
    # Resolved: nothing is sent; back again as a new episode: sent again.
    write_alerts(serving(env), [alert(last_seen=T0 + 2 * H, resolved=T0 + 3 * H)])
    assert cli.main([]) == cli.EXIT_OK
    back = alert(opened=T0 + 20 * H)
    write_alerts(serving(env), [alert(resolved=T0 + 3 * H), back])
    assert cli.main([]) == cli.EXIT_OK
    assert smtp_inbox.alert_ids() == [a.alert_id, back.alert_id]
    assert webhook_inbox.alert_ids() == [a.alert_id, back.alert_id]


def test_a_failing_channel_exits_2_and_is_retried(env, capsys, smtp_inbox, webhook_inbox):
    a = alert()
    write_alerts(serving(env), [a])
    webhook_inbox.fail_with = 503
    assert cli.main([]) == cli.EXIT_ERROR
    assert "webhook POST to" in capsys.readouterr().err
    webhook_inbox.fail_with = None
    assert cli.main([]) == cli.EXIT_OK
    assert smtp_inbox.alert_ids() == [a.alert_id]  # email was delivered the first time
    assert webhook_inbox.alert_ids() == [a.alert_id]


def test_no_notify_sends_and_remembers_nothing(env, smtp_inbox, webhook_inbox, tmp_path):
    write_alerts(serving(env), [alert()])
    assert cli.main(["--no-notify"]) == cli.EXIT_OK
    assert smtp_inbox.messages == [] and webhook_inbox.bodies == []
    assert not (tmp_path / "alerts_state.json").exists()


def test_reads_the_warehouse_on_request(env, capsys):
    write_alerts(Path(env["FOOTFALL_WAREHOUSE"]), [alert(sensor_id=7)])
    assert cli.main(["--source", "warehouse", "--no-notify"]) == cli.EXIT_OK
    assert "madrid/7" in capsys.readouterr().out


def test_missing_snapshot_or_mart_is_exit_2_with_what_to_do(env, capsys):
    assert cli.main([]) == cli.EXIT_ERROR
    assert "serving.duckdb does not exist: build the marts first" in capsys.readouterr().err
    duckdb.connect(str(serving(env))).close()
    assert cli.main([]) == cli.EXIT_ERROR
    assert "has no fct_alerts table" in capsys.readouterr().err


def test_the_module_runs_as_a_command(env):
    write_alerts(serving(env), [alert(severity="critical")])
    proc = subprocess.run(
        [sys.executable, "-m", "footfall.alerts"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "1 open alert(s), 1 critical" in proc.stdout
