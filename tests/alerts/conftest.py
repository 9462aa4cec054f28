"""Fixtures of the alert tests: real local SMTP and HTTP receivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receivers import SmtpInbox, WebhookInbox, smtp_server, webhook_receiver


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def webhook_inbox() -> Iterator[WebhookInbox]:
    with webhook_receiver() as inbox:
        yield inbox
