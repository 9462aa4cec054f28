"""The once-per-episode state machine: what is sent, what is not, and when again."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from footfall.alerts import state
from tests.alerts.helpers import T0, alert

NOW = dt.datetime(2024, 3, 5, tzinfo=dt.UTC)
CHANNELS = ("email", "webhook")
H = dt.timedelta(hours=1)


def run(episodes, open_alerts, *, min_severity="warning", deliver=CHANNELS):
    """One run: plan, then record delivery on the channels in `deliver`."""
    todo = state.plan(episodes, open_alerts, CHANNELS, min_severity=min_severity, now=NOW)
    for channel in deliver:
        state.mark_sent(episodes, channel, todo.to_send[channel], NOW)
    return todo


def ids(todo, channel="email"):
    return [a.alert_id for a in todo.to_send[channel]]


def test_a_new_episode_is_sent_once_on_every_channel():
    episodes: dict[str, state.Episode] = {}
    a = alert()
    first = run(episodes, [a])
    assert ids(first, "email") == [a.alert_id] and ids(first, "webhook") == [a.alert_id]
    assert first.new_episodes == [a]
    # Still open, seen again (later last_seen): nothing more to send.
    again = run(episodes, [alert(last_seen=T0 + 5 * H)])
    assert ids(again, "email") == [] and ids(again, "webhook") == []
    assert again.new_episodes == []


def test_a_failed_channel_is_retried_alone():
    episodes: dict[str, state.Episode] = {}
    a = alert()
    run(episodes, [a], deliver=("email",))
    retry = run(episodes, [a])
    assert ids(retry, "email") == [] and ids(retry, "webhook") == [a.alert_id]
    assert run(episodes, [a]).to_send == {"email": [], "webhook": []}


def test_resolved_then_back_is_a_new_episode_sent_again():
    episodes: dict[str, state.Episode] = {}
    run(episodes, [alert()])
    gone = run(episodes, [])
    assert gone.ended == [alert().key]
    back = alert(opened=T0 + 30 * H)
    again = run(episodes, [back])
    assert ids(again) == [back.alert_id] and again.new_episodes == [back]


def test_both_episodes_in_one_run_sends_the_new_one():
    """Resolved and back between two runs: the mart shows a new open episode after the old."""
    episodes: dict[str, state.Episode] = {}
    run(episodes, [alert(last_seen=T0 + 2 * H)])
    back = alert(opened=T0 + 10 * H)
    assert ids(run(episodes, [back])) == [back.alert_id]


def test_an_episode_whose_start_moved_is_still_the_same_episode():
    """Late data can move an open episode's start; overlapping in time, it is not resent."""
    episodes: dict[str, state.Episode] = {}
    run(episodes, [alert(opened=T0, last_seen=T0 + 3 * H)])
    moved = alert(opened=T0 - 2 * H, last_seen=T0 + 4 * H)
    assert moved.alert_id != alert().alert_id
    assert ids(run(episodes, [moved])) == []


def test_an_ended_episode_seen_again_with_its_id_is_not_resent():
    """A daily rule on a partial day can flap; the very same episode is never sent twice."""
    episodes: dict[str, state.Episode] = {}
    a = alert()
    run(episodes, [a])
    run(episodes, [])
    assert ids(run(episodes, [a])) == []


def test_below_the_minimum_severity_it_waits_until_it_escalates():
    episodes: dict[str, state.Episode] = {}
    warn = alert(severity="warning")
    assert ids(run(episodes, [warn], min_severity="critical")) == []
    crit = alert(severity="critical", last_seen=T0 + 12 * H)
    assert ids(run(episodes, [crit], min_severity="critical")) == [crit.alert_id]
    assert ids(run(episodes, [crit], min_severity="critical")) == []


def test_keys_are_independent():
    episodes: dict[str, state.Episode] = {}
    a, b = alert(sensor_id=0), alert(sensor_id=1)
    assert ids(run(episodes, [a])) == [a.alert_id]
    assert ids(run(episodes, [a, b])) == [b.alert_id]
    store = alert(rule="store_below_floor", sensor_id=None)
    assert ids(run(episodes, [a, b, store])) == [store.alert_id]


def test_state_file_round_trip_and_atomic_write(tmp_path):
    episodes: dict[str, state.Episode] = {}
    run(episodes, [alert(), alert(sensor_id=None, rule="store_traffic_drop")])
    path = tmp_path / "sub" / "alerts_state.json"
    state.save(path, episodes)
    assert state.load(path) == episodes
    assert [p.name for p in path.parent.iterdir()] == ["alerts_state.json"]
    assert json.loads(path.read_text())["version"] == state.STATE_VERSION


def test_missing_state_is_empty_and_a_foreign_file_is_refused(tmp_path):
    assert state.load(tmp_path / "none.json") == {}
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 99, "episodes": {}}')
    with pytest.raises(state.StateError, match=r"bad\.json.*version 99"):
        state.load(bad)
    bad.write_text("not json")
    with pytest.raises(state.StateError, match="move it aside"):
        state.load(bad)
