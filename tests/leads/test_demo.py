"""`juiced demo` grows a realistic marketplace through the real source API, and --json hands out a source."""

from __future__ import annotations

import json

import pytest
from django.db.models import Sum

from juiced.config.cli import main
from juiced.leads.demo import DEMO_BIDS, demo_marketplace
from juiced.leads.models import Bid, DistributionLog, Lead, LeadStatus, LeadType, Source, Submission
from juiced.tenants.models import Tenant
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check
from tests.leads.conftest import basic_auth

pytestmark = pytest.mark.django_db


def test_demo_builds_a_market_with_a_few_hundred_leads_and_their_flow_logs(capsys, monkeypatch):
    monkeypatch.setenv("JUICED_DEMO_LEADS", "300")
    assert main(["demo"]) == 0
    tenant = Tenant.objects.get(slug="demo")
    admin = tenant.memberships.get(role="admin").user
    assert not demo_marketplace(tenant=tenant, admin=admin)  # built once

    leads = Lead.objects.filter(tenant=tenant)
    assert leads.count() >= 250  # 300 calls, minus the deliberate invalid ones (422, no lead)
    assert LeadType.objects.filter(tenant=tenant, category__name="Home insurance").count() == 4
    assert Source.objects.filter(tenant=tenant, kind="internal", test_mode=False).exists()
    assert Source.objects.filter(tenant=tenant, kind="vendor", test_mode=True).exists()
    assert Bid.objects.filter(tenant=tenant).count() == sum(len(b) for b in DEMO_BIDS.values())
    statuses = set(leads.values_list("status", flat=True))
    assert {LeadStatus.ASSIGNED, LeadStatus.DUPLICATE, LeadStatus.AUDIT} <= statuses
    assert Submission.objects.filter(tenant=tenant, outcome="rejected").exists()
    processed = leads.exclude(status__in=[LeadStatus.DUPLICATE, LeadStatus.AUDIT]).filter(is_test=False)
    assert DistributionLog.objects.filter(lead__in=processed).count() >= processed.count()
    sold = leads.filter(status=LeadStatus.ASSIGNED, is_test=False)
    # (the customers' older history holds charges for leads from before the marketplace existed)
    charged = Transaction.objects.filter(
        tenant=tenant, event=TransactionEvent.LEAD_ASSIGNED, related_id__in=leads.values("public_id")
    )
    assert -(charged.aggregate(s=Sum("amount"))["s"] or 0) == (sold.aggregate(s=Sum("price"))["s"] or 0)
    assert ledger_check()[1] == []


def test_demo_json_prints_an_internal_source_that_can_post_a_lead(capsys, client):
    assert main(["demo", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    source = summary["source"]
    response = client.post(
        "/api/leads",
        json.dumps({"first_name": "Ava", "last_name": "Lemon", "email": "ava.demo@example.com",
                    "phone": "555-201-3344", "zip": "90012", "state": "CA", "homeowner": True}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(source["api_key"], source["api_secret"]),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "assigned"
