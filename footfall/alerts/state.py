"""What was sent: the once-per-episode state machine and its small JSON file.

Per alert key (rule, store, sensor) the state remembers the latest episode it has seen, which
channels have delivered it, and whether the episode was seen to end. A run compares the open
alerts of the mart with it:

- an open alert that overlaps the remembered episode (same `alert_id`, or opened before the
  remembered episode was last seen while that one had not ended) is the same episode: only the
  channels that have not delivered it yet get it (a failed delivery is retried next run);
- any other open alert is a new episode: every channel gets it;
- a remembered episode with no open alert any more is marked ended, so that the rule firing
  again later is a new episode and is sent again.

Delivery is at least once: the state is saved after sending, so a crash between the two resends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from footfall.alerts.model import Alert

STATE_VERSION = 1


class StateError(RuntimeError):
    """The state file exists but cannot be read as footfall's alert state."""


@dataclass
class Episode:
    """The latest episode seen for one alert key, and where it was delivered."""

    alert_id: str
    opened_at_utc: str
    last_seen_utc: str
    severity: str
    sent: dict[str, str] = field(default_factory=dict)
    ended_at_utc: str | None = None


@dataclass
class Plan:
    """What one run must send: per channel the open alerts not yet delivered there."""

    to_send: dict[str, list[Alert]]
    new_episodes: list[Alert]
    ended: list[str]


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(
    episodes: dict[str, Episode],
    open_alerts: Iterable[Alert],
    channels: Iterable[str],
    *,
    min_severity: str,
    now: dt.datetime,
) -> Plan:
    """Update `episodes` in place with the open alerts of this run; return what to send."""
    channels = list(channels)
    to_send: dict[str, list[Alert]] = {c: [] for c in channels}
    new_episodes: list[Alert] = []
    seen_keys: set[str] = set()
    for alert in open_alerts:
        seen_keys.add(alert.key)
        known = episodes.get(alert.key)
        opened, last_seen = _iso(alert.opened_at_utc), _iso(alert.last_seen_utc)
        same = known is not None and (
            known.alert_id == alert.alert_id
            or (known.ended_at_utc is None and opened <= known.last_seen_utc)
        )
        if same and known is not None:
            known.alert_id = alert.alert_id
            known.opened_at_utc = min(known.opened_at_utc, opened)
            known.last_seen_utc = max(known.last_seen_utc, last_seen)
            known.severity = alert.severity
            known.ended_at_utc = None
            episode = known
        else:
            episode = Episode(alert.alert_id, opened, last_seen, alert.severity)
            episodes[alert.key] = episode
            new_episodes.append(alert)
        if alert.severity_at_least(min_severity):
            for channel in channels:
                if channel not in episode.sent:
                    to_send[channel].append(alert)
    ended = []
    for key, episode in episodes.items():
        if key not in seen_keys and episode.ended_at_utc is None:
            episode.ended_at_utc = _iso(now)
            ended.append(key)
    return Plan(to_send=to_send, new_episodes=new_episodes, ended=ended)


def mark_sent(
    episodes: dict[str, Episode], channel: str, alerts: Iterable[Alert], now: dt.datetime
) -> None:
    """Record that `channel` delivered these alerts."""
    for alert in alerts:
        episodes[alert.key].sent[channel] = _iso(now)


def load(path: Path) -> dict[str, Episode]:
    """The episodes remembered in `path` (none when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {STATE_VERSION}")
        return {key: Episode(**value) for key, value in data["episodes"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(
            f"{path} is not a footfall alert state file ({exc}); move it aside to start afresh"
            " (every open alert will then be sent again)."
        ) from exc


def save(path: Path, episodes: dict[str, Episode]) -> None:
    """Write the state atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = {
        "version": STATE_VERSION,
        "episodes": {key: asdict(e) for key, e in sorted(episodes.items())},
    }
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the state file, so two runs never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
