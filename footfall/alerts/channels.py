"""Notification channels: email over SMTP and a webhook (JSON POST), both off by default.

Each channel sends one message per run holding every alert it has not delivered yet.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from footfall.alerts.model import Alert
from footfall.settings import AlertSettings


class DeliveryError(RuntimeError):
    """A channel could not deliver its message."""


class Channel(Protocol):
    name: str

    def send(self, alerts: Sequence[Alert]) -> None:
        """Deliver one message about these alerts, or raise DeliveryError."""


def summary_line(alerts: Sequence[Alert]) -> str:
    """`footfall: 2 new alerts (1 critical)`."""
    n_critical = sum(a.is_critical for a in alerts)
    noun = "alert" if len(alerts) == 1 else "alerts"
    critical = f" ({n_critical} critical)" if n_critical else ""
    return f"footfall: {len(alerts)} new {noun}{critical}"


def number(x: float | None) -> str:
    """A measured value or threshold for people: `19.1`, `5`, `1,000`."""
    return "" if x is None else f"{x:,.1f}".removesuffix(".0")


def render_text(alerts: Sequence[Alert]) -> str:
    """A plain-text body, one paragraph per alert."""
    lines = [summary_line(alerts), ""]
    for a in alerts:
        lines.append(f"[{a.severity.upper()}] {a.rule} on {a.subject}")
        lines.append(f"  {a.message}")
        lines.append(
            f"  opened {a.opened_at_utc:%Y-%m-%d %H:%M} UTC, last seen"
            f" {a.last_seen_utc:%Y-%m-%d %H:%M} UTC; measured {number(a.measured_value)},"
            f" threshold {number(a.threshold)}; id {a.alert_id}"
        )
        lines.append("")
    return "\n".join(lines)


@dataclass
class EmailChannel:
    """Email over SMTP (smtplib), with optional STARTTLS or SSL and login."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: str = "none"
    user: str = ""
    password: str = ""
    timeout_s: float = 10.0
    name: str = "email"

    def message(self, alerts: Sequence[Alert]) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = summary_line(alerts)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["X-Footfall-Alert-Ids"] = ", ".join(a.alert_id for a in alerts)
        msg.set_content(render_text(alerts))
        return msg

    def send(self, alerts: Sequence[Alert]) -> None:
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(self.message(alerts))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"email to {', '.join(self.recipients)} via SMTP {self.host}:{self.port} failed:"
                f" {exc!r}; check FOOTFALL_ALERT_SMTP_* (it is retried at the next run)"
            ) from exc


@dataclass
class WebhookChannel:
    """A JSON POST: `{"text": summary, "alerts": [alert, ...]}` (chat tools show `text`)."""

    url: str
    timeout_s: float = 10.0
    name: str = "webhook"

    def payload(self, alerts: Sequence[Alert]) -> dict[str, object]:
        return {
            "source": "footfall",
            "text": render_text(alerts),
            "alerts": [a.as_json() for a in alerts],
        }

    def send(self, alerts: Sequence[Alert]) -> None:
        try:
            response = httpx.post(self.url, json=self.payload(alerts), timeout=self.timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"webhook POST to {self.url} failed: {exc!r}; check FOOTFALL_ALERT_WEBHOOK_URL"
                " (it is retried at the next run)"
            ) from exc


def configured_channels(settings: AlertSettings) -> list[Channel]:
    """The channels the settings turn on (none by default)."""
    channels: list[Channel] = []
    if settings.email_enabled:
        channels.append(
            EmailChannel(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                recipients=settings.email_to,
                security=settings.smtp_security,
                user=settings.smtp_user,
                password=settings.smtp_password,
                timeout_s=settings.timeout_s,
            )
        )
    if settings.webhook_enabled:
        channels.append(WebhookChannel(url=settings.webhook_url, timeout_s=settings.timeout_s))
    return channels
