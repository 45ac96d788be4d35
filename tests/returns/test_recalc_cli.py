"""`juiced tiers recalculate [--tenant]`: the cron entry point runs the same recalculation synchronously,
for one tenant or every tenant, and refuses a tenant whose run is already active."""

from __future__ import annotations

import pytest

from juiced.config.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from juiced.customers.services import customer_create
from juiced.returns.models import CustomerTier, TierRecalculation
from juiced.returns.recalc import recalculation_request

from ._recalc_support import ledger, seed_ladder, tiers_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def golden_customer(tenant_a, alice):
    tiers_on(tenant_a)
    seed_ladder(tenant_a)
    customer = customer_create(tenant=tenant_a, actor=alice, data={"name": "Zero", "email": "z@example.com"})
    ledger(customer, charged=1_000_000)
    return customer


def test_one_tenant_is_recalculated(golden_customer, tenant_a, tenant_b, capsys):
    assert main(["tiers", "recalculate", "--tenant", tenant_a.slug]) == EXIT_OK
    assert CustomerTier.objects.get(customer=golden_customer).tier.name == "Golden"
    assert "acme-leads: 1 customers recalculated, 1 changed tier." in capsys.readouterr().out
    assert TierRecalculation.objects.filter(tenant=tenant_b).count() == 0


def test_every_tenant_by_default(golden_customer, tenant_a, tenant_b):
    assert main(["tiers", "recalculate"]) == EXIT_OK
    runs = TierRecalculation.objects.filter(status="finished").values_list("tenant__slug", flat=True)
    assert sorted(runs) == ["acme-leads", "bolt-leads"]


def test_an_active_run_is_refused_and_the_others_go_on(golden_customer, tenant_a, tenant_b, capsys):
    recalculation_request(tenant=tenant_a, actor=None, in_background=False)
    assert main(["tiers", "recalculate"]) == EXIT_FAILED
    assert "already queued or running" in capsys.readouterr().err
    assert TierRecalculation.objects.get(tenant=tenant_b).status == "finished"
    assert not CustomerTier.objects.filter(customer=golden_customer).exists()


def test_an_unknown_tenant_is_a_usage_error(db, capsys):
    assert main(["tiers", "recalculate", "--tenant", "nope"]) == EXIT_USAGE
    assert "No tenant" in capsys.readouterr().err
