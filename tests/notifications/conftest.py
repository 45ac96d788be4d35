"""Real local servers for the channels: an aiosmtpd SMTP server and a Twilio-shaped HTTP server."""

from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from juiced.notifications.services import channel_settings_save

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-secret-token-42"
TWILIO_FROM = "+15555550199"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf8", errors="replace"),
            }
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; Django's SMTP backend is pointed at it. Yields the Mailbox."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()


class TwilioState:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 201  # what the next answers use
        self.base_url = ""


@pytest.fixture
def twilio_server():
    """Answers Twilio's Messages.json like Twilio does and records each form body and auth."""
    state = TwilioState()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            auth = self.headers.get("Authorization", "")
            user_pass = base64.b64decode(auth.split(" ", 1)[1]).decode() if " " in auth else ""
            state.requests.append({"path": self.path, "form": form, "auth": user_pass})
            if state.status >= 400:
                payload = {"code": 21211, "message": "Invalid 'To' Phone Number", "status": state.status}
            else:
                payload = {"sid": f"SM{len(state.requests):032d}", "status": "queued", "to": form.get("To")}
            body = json.dumps(payload).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sms_tenant(tenant_a, alice, twilio_server):
    """tenant_a with Twilio configured against the local server."""
    channel_settings_save(
        tenant=tenant_a,
        actor=alice,
        data={
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_from_number": TWILIO_FROM,
            "twilio_base_url": twilio_server.base_url,
        },
    )
    return tenant_a
