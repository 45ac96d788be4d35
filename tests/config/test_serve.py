"""`juiced serve` as a person runs it: a real granian server on a temporary SQLite file."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _log_in_and_see_the_demo_customers(base: str) -> None:
    with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as browser:
        page = browser.get("/login/")
        assert page.status_code == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {"csrfmiddlewaretoken": csrf, "username": "admin@demo.test", "password": "demo"}
        browser.post("/login/", data=form, headers={"Referer": base + "/login/"})
        customers = browser.get("/manage/demo/customers/")
        assert customers.status_code == 200
        assert "Apex Home Insurance" in customers.text


def _juiced(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "juiced.config.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def installation(tmp_path: Path) -> dict[str, str]:
    """A fresh environment: its own SQLite file and var folder, production settings (DEBUG off)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    env.update(JUICED_VAR_DIR=str(tmp_path / "var"), JUICED_FAST_HASHER="1", PYTHONUNBUFFERED="1")
    for step in (["migrate", "--verbosity", "0"], ["demo"]):
        done = _juiced(env, *step)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "juiced.sqlite3").exists()
    return env


def test_serve_with_worker_answers_health_and_static_then_stops_cleanly(installation, tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "juiced.config.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--with-worker",
        ],
        env=installation,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(base + "/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the server did not start in time"
                time.sleep(0.3)
        assert status == 200
        assert b'"database": "ok"' in body
        status, css = _get(base + "/static/juiced/juiced.css")  # served by the app itself (whitenoise)
        assert status == 200 and css
        assert (tmp_path / "var" / "static" / "staticfiles.json").exists()  # collectstatic ran
        _log_in_and_see_the_demo_customers(base)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "admin@demo.test / demo" in output  # the logins are printed before serving
    assert "Starting worker" in output  # the background worker ran beside the server
    with pytest.raises(OSError):
        _get(base + "/health")  # nothing is left listening
