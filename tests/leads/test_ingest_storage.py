"""How a post is stored: the lead, its first status changes, fingerprints and flow log written together (one
statement on PostgreSQL), the submission written after the lead's transaction, and a failed submission
write never undoing a sold lead."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from juiced.leads import ingest, ingest_sql
from juiced.leads.models import (
    DistributionLog,
    DuplicateRule,
    Lead,
    LeadFingerprint,
    LeadStatus,
    Submission,
)
from tests.leads import test_ingest_pingpost as pingpost

LEAD, send, wallet = pingpost.LEAD, pingpost.send, pingpost.wallet
market = pingpost.market  # the shared marketplace: Zest bids $30, Yolk $25, both funded with $100
_fresh_caches = pingpost._fresh_caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(market, tenant_a):
    """Two category rules: the email alone, and the phone with the last name."""
    email = DuplicateRule.objects.create(tenant=tenant_a, category=market.category, fields=["email"])
    phone = DuplicateRule.objects.create(
        tenant=tenant_a, category=market.category, fields=["phone", "last_name"], lookback_days=7
    )
    return email, phone


def test_a_sold_lead_is_stored_with_its_status_changes_fingerprints_and_one_flow_log(market, rules):
    response = send(market.client, "/api/leads", LEAD)
    assert response.status_code == 201 and response.json()["status"] == "assigned"
    lead = Lead.objects.get()
    assert (
        str(lead.uuid) == response.json()["lead_uuid"] and lead.public_id == response.json()["lead_public_id"]
    )
    assert lead.public_id.startswith("lead_") and lead.created_at is not None
    assert lead.customer == market.zest and lead.price == 3000
    changes = list(lead.status_changes.values_list("from_status", "to_status", "reason"))
    assert changes[0] == ("", LeadStatus.PROCESSING, "Received from source Web form")
    assert changes[-1][:2] == (LeadStatus.PROCESSING, LeadStatus.ASSIGNED)
    prints = LeadFingerprint.objects.filter(lead=lead)
    assert sorted(prints.values_list("rule_id", flat=True)) == sorted(rule.pk for rule in rules)
    assert all(p.created_at == lead.created_at and p.tenant_id == lead.tenant_id for p in prints)
    assert DistributionLog.objects.filter(lead=lead).count() == 1
    submission = Submission.objects.get()
    assert submission.lead == lead and submission.outcome == "accepted" and submission.latency_ms > 0
    assert submission.public_id.startswith("sub_") and submission.response["status"] == "assigned"


def test_the_second_rule_alone_finds_the_duplicate_and_nothing_is_sold(market, rules):
    send(market.client, "/api/leads", LEAD)
    balance = wallet(market.zest)
    again = {**LEAD, "email": "someone.else@example.com"}  # same phone and last name
    response = send(market.client, "/api/leads", again)
    assert response.json()["status"] == "duplicate" and response.json()["price"] == 0
    duplicate = Lead.objects.get(uuid=response.json()["lead_uuid"])
    assert duplicate.status == LeadStatus.DUPLICATE and duplicate.customer is None
    assert list(duplicate.status_changes.values_list("to_status", flat=True)) == ["processing", "duplicate"]
    assert "on phone, last_name" in duplicate.status_changes.last().reason
    (log,) = DistributionLog.objects.filter(lead=duplicate)
    stages = [event["stage"] for event in log.events]
    assert "duplicates" in stages and log.outcome == LeadStatus.DUPLICATE
    assert rules[1].public_id in next(e["message"] for e in log.events if e["stage"] == "duplicates")
    # The duplicate's own fingerprints are kept too, so the window runs from the latest copy.
    assert LeadFingerprint.objects.filter(lead=duplicate).count() == 2
    assert wallet(market.zest) == balance
    assert Lead.objects.count() == 2 and Submission.objects.count() == 2


def test_a_lead_without_a_lead_type_is_still_checked_for_duplicates_first(market, rules):
    send(market.client, "/api/leads", LEAD)
    market.lead_type.is_fallback = False
    market.lead_type.conditions = [[{"field": "state", "op": "equals", "value": "TX"}]]
    market.lead_type.save()
    ingest.caches_clear()
    assert send(market.client, "/api/leads", LEAD).json()["status"] == "duplicate"
    fresh = send(market.client, "/api/leads", {**LEAD, "email": "new@example.com", "phone": "555-000-1111"})
    assert Lead.objects.get(uuid=fresh.json()["lead_uuid"]).status == LeadStatus.UNCATEGORIZED


def test_a_failed_submission_write_never_undoes_a_sold_lead(market, caplog):
    target = "juiced.leads.ingest.submission_record"
    with mock.patch(target, side_effect=RuntimeError("disk full")):
        response = send(market.client, "/api/leads", LEAD)
    assert response.status_code == 201 and response.json()["status"] == "assigned"
    lead = Lead.objects.get()
    assert lead.status == LeadStatus.ASSIGNED and wallet(market.zest) == (10_000 - 3000, 0)
    assert not Submission.objects.exists()
    assert "Could not record the submission" in caplog.text


def test_the_submission_is_written_after_the_engine_is_done(market):
    send(market.client, "/api/leads", {**LEAD, "email": "warm@example.com"})
    with CaptureQueriesContext(connection) as queries:
        send(market.client, "/api/leads", LEAD)
    # (Inside the test's transaction the PostgreSQL insert sits in a savepoint; in a view it runs alone.)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    inserts = [i for i, sql in enumerate(statements) if 'INTO "leads_submission"' in sql]
    assert len(inserts) == 1 and inserts[0] == len(statements) - 1


@pytest.mark.postgres
def test_postgresql_writes_the_lead_with_its_rows_in_one_statement(market, rules):
    send(market.client, "/api/leads", {**LEAD, "email": "warm@example.com", "phone": "555-000-2222"})
    with CaptureQueriesContext(connection) as queries:
        send(market.client, "/api/leads", LEAD)
    statements = [" ".join(q["sql"].split()) for q in queries.captured_queries]
    lead_inserts = [sql for sql in statements if 'INSERT INTO "leads_lead" (' in sql]
    assert len(lead_inserts) == 1
    (statement,) = lead_inserts
    assert 'INTO "leads_leadstatuschange"' in statement and 'INTO "leads_leadfingerprint"' in statement
    assert statement.startswith("WITH dup AS")  # the duplicate check rides along
    assert not any(sql.startswith('SELECT "leads_leadfingerprint"') for sql in statements)
    assert not any(sql.startswith('INSERT INTO "leads_leadfingerprint"') for sql in statements)


@pytest.mark.postgres
def test_postgresql_a_duplicate_found_by_the_lead_statement_writes_nothing_extra(market, rules):
    send(market.client, "/api/leads", LEAD)
    with mock.patch.object(ingest_sql, "lead_write", wraps=ingest_sql.lead_write) as spy:
        response = send(market.client, "/api/leads", LEAD)
    assert response.json()["status"] == "duplicate"
    first, second = spy.call_args_list
    assert first.kwargs["check"] and not second.kwargs["check"]
    assert Lead.objects.count() == 2  # the original and one Duplicate, never a half-written third
    assert LeadFingerprint.objects.count() == 4
