"""Read links out of the e-mails the worker sent (Django's locmem `mail.outbox`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail


def link_path_in_mail(*, to: str, marker: str) -> str:
    """The path of the last link containing `marker` in the newest e-mail to `to`; fails if none."""
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no e-mail to {to}; outbox has {[m.to for m in mail.outbox]}"
    links = [url for url in re.findall(r"https?://\S+", messages[-1].body) if marker in url]
    assert links, f"no {marker} link in: {messages[-1].body}"
    return urlsplit(links[-1]).path


def invite_path(to: str) -> str:
    return link_path_in_mail(to=to, marker="/invite/")
