"""The channels against real local receivers: an SMTP server and an HTTP endpoint."""

from __future__ import annotations

import pytest

from footfall.alerts.channels import (
    DeliveryError,
    EmailChannel,
    WebhookChannel,
    configured_channels,
)
from footfall.settings import AlertSettings
from tests.alerts.helpers import alert
from tests.conftest import free_port


def test_email_is_one_message_listing_every_alert(smtp_inbox):
    a, b = alert(sensor_id=0), alert(rule="store_below_floor", sensor_id=None, severity="critical")
    channel = EmailChannel(
        host=smtp_inbox.host,
        port=smtp_inbox.port,
        sender="footfall@test.local",
        recipients=("owner@test.local", "ops@test.local"),
    )
    channel.send([a, b])
    assert len(smtp_inbox.messages) == 1
    msg = smtp_inbox.messages[0]
    assert msg["Subject"] == "footfall: 2 new alerts (1 critical)"
    assert smtp_inbox.envelopes == [("footfall@test.local", ["owner@test.local", "ops@test.local"])]
    body = msg.get_content()
    assert "[WARNING] silent_sensor on madrid/0" in body
    assert "[CRITICAL] store_below_floor on madrid" in body
    assert smtp_inbox.alert_ids() == [a.alert_id, b.alert_id]


def test_email_to_a_closed_port_says_what_failed():
    channel = EmailChannel("127.0.0.1", free_port(), "f@test.local", ("o@test.local",), timeout_s=2)
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1:\d+ failed.*FOOTFALL_ALERT_SMTP"):
        channel.send([alert()])


def test_webhook_posts_the_alerts_as_json(webhook_inbox):
    a = alert(severity="critical")
    WebhookChannel(webhook_inbox.url).send([a])
    assert len(webhook_inbox.bodies) == 1
    body = webhook_inbox.bodies[0]
    assert body["source"] == "footfall"
    assert body["text"].startswith("footfall: 1 new alert (1 critical)")
    (sent,) = body["alerts"]
    assert sent["alert_id"] == a.alert_id and sent["severity"] == "critical"
    assert sent["opened_at_utc"] == "2024-03-04T09:00:00Z" and sent["resolved_at_utc"] is None


def test_webhook_refusal_is_a_delivery_error(webhook_inbox):
    webhook_inbox.fail_with = 500
    with pytest.raises(DeliveryError, match=r"webhook POST to http://127\.0\.0\.1.*500"):
        WebhookChannel(webhook_inbox.url).send([alert()])


def test_channels_are_off_by_default_and_on_when_configured(monkeypatch):
    for name in (
        "FOOTFALL_ALERT_SMTP_HOST",
        "FOOTFALL_ALERT_EMAIL_TO",
        "FOOTFALL_ALERT_WEBHOOK_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    assert configured_channels(AlertSettings.from_env()) == []
    monkeypatch.setenv("FOOTFALL_ALERT_SMTP_HOST", "127.0.0.1")
    assert configured_channels(AlertSettings.from_env()) == []  # no recipient: still off
    monkeypatch.setenv("FOOTFALL_ALERT_EMAIL_TO", "a@x.test, b@x.test")
    monkeypatch.setenv("FOOTFALL_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    email, webhook = configured_channels(AlertSettings.from_env())
    assert email.recipients == ("a@x.test", "b@x.test") and webhook.url.endswith("/hook")
