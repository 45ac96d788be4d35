"""A real HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1.

It records every request (headers, raw body, arrival time) and answers from a script of
(status, delay seconds) pairs, then 200 once the script is used up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    script: list[tuple[int, float]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/juiced"

    def answer(self, *steps: tuple[int, float] | int) -> None:
        """Queue answers: an int is a status; (status, delay) sleeps first (to pass a timeout)."""
        with self.lock:
            self.script.extend(step if isinstance(step, tuple) else (step, 0.0) for step in steps)

    def next_answer(self) -> tuple[int, float]:
        with self.lock:
            return self.script.pop(0) if self.script else (200, 0.0)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver = holder["receiver"]
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body, time.time()))
            status, delay = receiver.next_answer()
            if delay:
                time.sleep(delay)
            payload = b'{"ok": true}' if status < 300 else b"x" * 5000
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up (timeout) and closed the connection

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server=server)
    holder["receiver"] = receiver
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return receiver
