"""Where a webhook may point: the SSRF guard.

A webhook URL must be https (http only with settings.DEBUG or the tenant's testing flag), carry no
credentials, and its host must resolve only to global addresses: loopback, private, link-local
(169.254.169.254, the cloud metadata service), shared, reserved, multicast and unspecified addresses are
refused unless the tenant turned on "allow private webhook addresses (testing)". The check runs when
the webhook is saved and again right before each request, and the request connects to the very address
that was checked, so a DNS answer that changes in between (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from juiced.core.errors import ValidationFailed

MAX_URL_LENGTH = 2000


class AddressRefused(ValidationFailed):
    """The URL, or an address its host resolves to, is not allowed."""


class AddressUnresolved(ValidationFailed):
    """The host name did not resolve (possibly a passing DNS failure)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]  # every address checked, in resolver order


def is_public_address(address: str) -> bool:
    """True only for a global unicast address (IPv4-mapped IPv6 is judged by its IPv4 part)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def http_allowed(*, allow_private: bool) -> bool:
    return bool(settings.DEBUG) or allow_private


def _refuse(message: str) -> AddressRefused:
    return AddressRefused(message, fields={"url": [message]})


def parse_url(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an acceptable URL, or AddressRefused naming the problem."""
    url = (url or "").strip()
    if not url:
        raise _refuse("Enter the URL to send to.")
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"Keep the URL under {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("Enter a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise _refuse("Enter a full URL starting with https://.")
    if scheme == "http" and not http_allowed(allow_private=allow_private):
        raise _refuse("Use https:// (plain http is allowed only in development or testing mode).")
    if parts.username or parts.password:
        raise _refuse("Remove the user name and password from the URL.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address `host` resolves to (an IP literal resolves to itself without a DNS query)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        message = f"The host name {host} does not resolve."
        raise AddressUnresolved(message, fields={"url": [message]}) from None
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    return tuple(addresses)


def webhook_target(url: str, *, allow_private: bool) -> Target:
    """Check `url` and resolve its host; refuse it if any address is not public (unless allowed)."""
    scheme, host, port, path = parse_url(url, allow_private=allow_private)
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise _refuse(
                    f"{host} resolves to {address}, a private, loopback or link-local address: "
                    "webhooks must point to a public address."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)
