"""Two recalculation requests at the same moment on PostgreSQL: exactly one run is created, the other
request is refused with a Conflict (the partial unique constraint "tier_recalc_one_active")."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from juiced.core.errors import Conflict
from juiced.returns.models import TierRecalculation
from juiced.returns.recalc import recalculation_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_requests_make_one_run(tenant_a, alice):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def request() -> None:
        try:
            barrier.wait()
            recalculation_request(tenant=tenant_a, actor=alice, in_background=False)
            outcomes.append("queued")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["queued", "refused"]
    assert TierRecalculation.objects.filter(tenant=tenant_a).count() == 1
