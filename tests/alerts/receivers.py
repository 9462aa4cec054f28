"""Real local receivers for the notification channels: an SMTP server and an HTTP endpoint."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class SmtpInbox:
    """What a local aiosmtpd server received: one parsed message per DATA command."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def alert_ids(self) -> list[str]:
        """Every alert id delivered, in order, over all messages (repeats kept)."""
        ids: list[str] = []
        for msg in self.messages:
            ids.extend(
                x.strip() for x in (msg["X-Footfall-Alert-Ids"] or "").split(",") if x.strip()
            )
        return ids


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpInbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd in its own thread)."""
    inbox = SmtpInbox("127.0.0.1", free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class WebhookInbox:
    """What a local HTTP receiver got: one JSON body per POST; `fail_with` makes it refuse."""

    url: str = ""
    bodies: list[dict] = field(default_factory=list)
    fail_with: int | None = None

    def alert_ids(self) -> list[str]:
        return [a["alert_id"] for body in self.bodies for a in body["alerts"]]


@contextlib.contextmanager
def webhook_receiver() -> Iterator[WebhookInbox]:
    """A real HTTP server on 127.0.0.1 in a thread, recording each JSON POST."""
    inbox = WebhookInbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if inbox.fail_with is not None:
                self.send_response(inbox.fail_with)
                self.end_headers()
                return
            inbox.bodies.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    inbox.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/footfall"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
