"""`python -m footfall.alerts`: print the open alerts, send the new ones, exit 1 on a critical one.

Exit status: 0 no open critical alert; 1 at least one open critical alert; 2 the alerts could
not be read or a channel failed to deliver (the delivery is retried at the next run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from footfall import settings
from footfall.alerts import state
from footfall.alerts.channels import Channel, DeliveryError, configured_channels, number
from footfall.alerts.model import Alert, AlertsUnavailable, read_alerts

EXIT_OK, EXIT_CRITICAL, EXIT_ERROR = 0, 1, 2
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow"}


def alerts_table(alerts: Sequence[Alert], title: str) -> Table:
    """The alerts as a rich table, most severe first."""
    table = Table(title=title, title_justify="left")
    for column in ("severity", "rule", "where", "opened (UTC)", "last seen (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("resolved (UTC)", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("threshold", justify="right")
    table.add_column("message")
    for a in alerts:
        table.add_row(
            f"[{SEVERITY_STYLE.get(a.severity, '')}]{a.severity}[/]",
            a.rule,
            a.subject,
            f"{a.opened_at_utc:%Y-%m-%d %H:%M}",
            f"{a.last_seen_utc:%Y-%m-%d %H:%M}",
            "open" if a.resolved_at_utc is None else f"{a.resolved_at_utc:%Y-%m-%d %H:%M}",
            number(a.measured_value),
            number(a.threshold),
            a.message,
        )
    return table


def notify(
    open_alerts: Sequence[Alert],
    channels: Sequence[Channel],
    cfg: settings.AlertSettings,
    now: dt.datetime,
) -> list[str]:
    """Send each open alert once per episode on every channel; return the delivery errors."""
    errors: list[str] = []
    with state.locked(cfg.state_file):
        episodes = state.load(cfg.state_file)
        todo = state.plan(
            episodes,
            open_alerts,
            [c.name for c in channels],
            min_severity=cfg.notify_min_severity,
            now=now,
        )
        for channel in channels:
            pending = todo.to_send[channel.name]
            if not pending:
                continue
            try:
                channel.send(pending)
            except DeliveryError as exc:
                errors.append(str(exc))
                continue
            state.mark_sent(episodes, channel.name, pending, now)
            print(f"sent {len(pending)} alert(s) by {channel.name}")
        state.save(cfg.state_file, episodes)
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m footfall.alerts",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--source",
        choices=("serving", "warehouse"),
        default="serving",
        help="read fct_alerts from the serving snapshot (FOOTFALL_SERVING, default: it never"
        " blocks a load or a build) or from the warehouse (FOOTFALL_WAREHOUSE)",
    )
    parser.add_argument(
        "--all", action="store_true", help="print every episode, the resolved ones too"
    )
    parser.add_argument(
        "--no-notify", action="store_true", help="print only: send nothing, remember nothing"
    )
    args = parser.parse_args(argv)
    try:
        cfg = settings.alerts()
        paths = settings.core()
    except settings.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    database: Path = paths.serving if args.source == "serving" else paths.warehouse
    try:
        episodes = read_alerts(database, open_only=not args.all)
    except AlertsUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    open_alerts = [a for a in episodes if a.is_open]
    console = Console(width=None if sys.stdout.isatty() else 200)
    if episodes:
        title = "alert episodes" if args.all else "open alerts"
        console.print(alerts_table(episodes, f"{title} ({database.name})"))
    n_critical = sum(a.is_critical for a in open_alerts)
    print(f"{len(open_alerts)} open alert(s), {n_critical} critical")

    errors: list[str] = []
    if not args.no_notify:
        try:
            errors = notify(open_alerts, configured_channels(cfg), cfg, dt.datetime.now(dt.UTC))
        except state.StateError as exc:
            errors = [str(exc)]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_CRITICAL if n_critical else EXIT_OK
