"""One HTTP POST of a webhook, with the standard library only.

The connection goes to an address that `webhook_target` has just checked (the TLS handshake still names
the host, so certificates are verified as usual). Redirects are never followed: a 3xx answer is a final
failure. Only the first 2 KB of the answer are read and kept.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from juiced.webhooks.addresses import AddressRefused, AddressUnresolved, Target, webhook_target

EXCERPT_BYTES = 2048
USER_AGENT = "Juiced-Webhooks/1"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    response_excerpt: str
    duration_ms: int
    error: str
    retryable: bool

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _connection(target: Target, address: str, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(_address, timeout=timeout, source_address=None):
        return socket.create_connection((address, target.port), timeout, source_address)

    conn._create_connection = pinned  # connect to the checked address, not a fresh DNS answer
    return conn


def _classify(status: int) -> tuple[str, bool]:
    """(error text, retryable) for a non-2xx status: 5xx retries; 3xx and 4xx are final."""
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed.", False
    if 400 <= status < 500:
        return f"HTTP {status}: the receiver refused the request (not retried).", False
    return f"HTTP {status}: the receiver failed.", True


def http_post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> SendResult:
    """POST `body` to `url`; never raises for network trouble, which is reported in the result."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = webhook_target(url, allow_private=allow_private)
    except AddressRefused as exc:
        return SendResult(None, "", elapsed(), exc.message, retryable=False)
    except AddressUnresolved as exc:
        return SendResult(None, "", elapsed(), exc.message, retryable=True)
    error = ""
    for address in target.addresses:
        conn = _connection(target, address, timeout)
        try:
            conn.connect()
        except TimeoutError:
            conn.close()
            error = f"Timed out connecting after {timeout:g} s."
            continue  # try the host's next address
        except ssl.SSLError as exc:
            conn.close()
            return SendResult(None, "", elapsed(), f"TLS error: {exc.reason or exc}"[:500], retryable=True)
        except OSError as exc:
            conn.close()
            error = f"Connection failed: {exc.__class__.__name__}: {exc}"[:500]
            continue
        try:
            conn.request("POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers})
            response = conn.getresponse()
            excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
            status = response.status
        except TimeoutError:
            return SendResult(None, "", elapsed(), f"Timed out after {timeout:g} s.", retryable=True)
        except (OSError, http.client.HTTPException) as exc:
            message = f"Connection failed: {exc.__class__.__name__}: {exc}"[:500]
            return SendResult(None, "", elapsed(), message, retryable=True)
        finally:
            conn.close()
        if 200 <= status < 300:
            return SendResult(status, excerpt, elapsed(), "", retryable=False)
        message, retryable = _classify(status)
        return SendResult(status, excerpt, elapsed(), message, retryable=retryable)
    return SendResult(None, "", elapsed(), error or "Connection failed.", retryable=True)
