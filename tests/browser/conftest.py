"""Browser tests drive the Debian Chromium through Playwright against pytest-django's live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The marketplace factories, for browser stories that need a market.
from tests.leads.conftest import fund, make_category, make_lead_type, make_source  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright's event loop

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (apt-get install chromium).")
        pytest.skip(f"{CHROMIUM} is missing; install it with `apt-get install chromium`.")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }
