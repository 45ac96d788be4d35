"""Return requests: every refusal, exact credit once, the lead Returned, the ledger clean, bulk."""

from __future__ import annotations

from decimal import Decimal

import pytest

from juiced.core.errors import InvalidState, ValidationFailed
from juiced.leads.models import LeadStatus, LeadStatusChange, UsageCounter
from juiced.notifications.models import Notification
from juiced.returns import selectors, services
from juiced.returns.models import ReturnRequest
from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.selectors import ledger_check

REASON = "Invalid e-mail address"


def _refused(field: str, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as info:
        services.return_request(**kwargs)
    assert field in info.value.fields, info.value.fields
    return info.value.fields[field][0]


def test_request_then_approve_credits_exactly_the_price(tenant_a, acme_customer, buyer, alice, sold_lead):
    lead = sold_lead(acme_customer, 2731)
    wallet = acme_customer.wallet
    before = wallet.balance
    req = services.return_request(
        tenant=tenant_a, lead_id=lead.public_id, reason=REASON, comment="bounced", actor=buyer,
        customer=acme_customer,
    )  # fmt: skip
    assert req.status == "pending" and req.requested_by == buyer and req.customer == acme_customer
    usage_before = list(UsageCounter.objects.values())
    approved = services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice, note="ok")
    wallet.refresh_from_db()
    lead.refresh_from_db()
    assert wallet.balance == before + 2731
    assert approved.status == "approved" and approved.amount == 2731
    assert approved.decided_by == alice and approved.decided_at is not None
    txn = approved.transaction
    assert txn.event == TransactionEvent.LEAD_RETURNED and txn.amount == 2731
    assert (txn.related_type, txn.related_id) == ("return", req.public_id)
    assert txn.description == f"Return of lead {lead.public_id} approved"
    assert lead.status == LeadStatus.RETURNED
    change = LeadStatusChange.objects.filter(lead=lead).last()
    assert change.to_status == "returned" and change.reason == f"Returned: {REASON}"
    assert list(UsageCounter.objects.values()) == usage_before
    assert ledger_check()[1] == []


def test_approve_notifies_the_customer_on_commit(
    tenant_a, acme_customer, alice, sold_lead, django_capture_on_commit_callbacks
):
    lead = sold_lead(acme_customer, 1500)
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason=REASON)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice)
    assert Notification.objects.filter(customer=acme_customer, type="return_approved").exists()


def test_approving_twice_credits_once(tenant_a, acme_customer, alice, sold_lead):
    lead = sold_lead(acme_customer, 2000)
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason=REASON)
    services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice)
    with pytest.raises(InvalidState):
        services.return_approve(tenant=tenant_a, request_id=req.public_id, actor=alice)
    with pytest.raises(InvalidState):
        services.return_reject(tenant=tenant_a, request_id=req.public_id, actor=alice, note="no")
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_RETURNED).count() == 1


def test_refusals_change_nothing(tenant_a, tenant_b, acme_customer, bolt_customer, sold_lead, make_customer):
    lead = sold_lead(acme_customer, 1000)
    base = {"tenant": tenant_a, "lead_id": lead.public_id, "reason": REASON}
    assert _refused("reason", **(base | {"reason": ""})) == "Pick a reason."
    assert _refused("reason", **(base | {"reason": "Because"})) == "Pick one of the listed reasons."
    assert _refused("comment", **(base | {"comment": "x" * 2001})).startswith("Keep the comment")
    assert _refused("lead", **(base | {"lead_id": "lead_nope"})) == "No lead with this id."
    other = make_customer("Other Buyer")
    assert (
        _refused("lead", **(base | {"customer": other})) == "No lead with this id was sold to your account."
    )
    # another tenant's lead is not found
    bolt_lead = sold_lead(bolt_customer, 1000)
    assert _refused("lead", **(base | {"lead_id": bolt_lead.public_id})) == "No lead with this id."
    # not sold
    unsold = sold_lead(acme_customer, 0, status=LeadStatus.UNASSIGNED)
    assert _refused("lead", **(base | {"lead_id": unsold.public_id})) == "Only a sold lead can be returned."
    # outside the window
    old = sold_lead(acme_customer, 1000, days_ago=8)
    message = _refused("lead", **(base | {"lead_id": old.public_id}))
    assert message.startswith("The return window for this lead closed on ")
    # disabled
    settings = services.settings_for(tenant_a)
    settings.returns_enabled = False
    settings.save()
    assert _refused("lead", **base) == "Returns are turned off for this marketplace."
    assert ReturnRequest.objects.count() == 0
    settings.returns_enabled = True
    settings.save()
    # one open request per lead, then already returned
    req = services.return_request(**base)
    assert _refused("lead", **base) == "A return request for this lead is already open."
    services.return_approve(tenant=tenant_a, request_id=req.public_id)
    assert _refused("lead", **base) == "This lead has already been returned."
    assert ReturnRequest.objects.count() == 1


def test_rejected_request_can_be_asked_again(tenant_a, acme_customer, alice, sold_lead):
    lead = sold_lead(acme_customer, 1000)
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason=REASON)
    with pytest.raises(ValidationFailed) as info:
        services.return_reject(tenant=tenant_a, request_id=req.public_id, actor=alice, note="  ")
    assert "note" in info.value.fields
    rejected = services.return_reject(
        tenant=tenant_a, request_id=req.public_id, actor=alice, note="Valid lead"
    )
    assert rejected.status == "rejected" and rejected.decision_note == "Valid lead"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ASSIGNED
    again = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason=REASON)
    assert again.status == "pending"


def test_bulk_approve_and_reject(tenant_a, acme_customer, alice, sold_lead):
    reqs = [
        services.return_request(
            tenant=tenant_a, lead_id=sold_lead(acme_customer, 1000 + i).public_id, reason=REASON
        )
        for i in range(3)
    ]
    result = services.return_bulk(
        tenant=tenant_a, action="approve", request_ids=[reqs[0].public_id, reqs[1].public_id], actor=alice
    )
    assert len(result["done"]) == 2 and result["failed"] == {}
    result = services.return_bulk(
        tenant=tenant_a, action="reject", request_ids=[reqs[0].public_id, reqs[2].public_id], actor=alice,
        note="Not valid",
    )  # fmt: skip
    assert [r.public_id for r in result["done"]] == [reqs[2].public_id]
    assert result["failed"] == {reqs[0].public_id: "This return was already approved."}
    with pytest.raises(ValidationFailed):
        services.return_bulk(tenant=tenant_a, action="reject", request_ids=[reqs[1].public_id], note="")
    with pytest.raises(ValidationFailed):
        services.return_bulk(tenant=tenant_a, action="approve", request_ids=[])
    acme_customer.wallet.refresh_from_db()
    assert ledger_check()[1] == []


def test_return_rate(tenant_a, acme_customer, sold_lead):
    assert selectors.customer_return_rate(acme_customer) == (Decimal("0.00"), 0, 0)
    leads = [sold_lead(acme_customer, price) for price in (1000, 2000, 3000)]
    req = services.return_request(tenant=tenant_a, lead_id=leads[0].public_id, reason=REASON)
    services.return_approve(tenant=tenant_a, request_id=req.public_id)
    assert selectors.customer_return_rate(acme_customer) == (Decimal("16.67"), 6000, 1000)
    settings = services.settings_for(tenant_a)
    settings.rate_window_days = 30
    settings.save()
    from datetime import timedelta

    from django.utils import timezone

    later = timezone.now() + timedelta(days=31)
    assert selectors.customer_return_rate(acme_customer, now=later) == (Decimal("0.00"), 0, 0)


def test_a_rejection_sends_the_buyer_its_reason(
    tenant_a, acme_customer, alice, sold_lead, django_capture_on_commit_callbacks
):
    lead = sold_lead(acme_customer, 1000)
    req = services.return_request(tenant=tenant_a, lead_id=lead.public_id, reason=REASON)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_reject(tenant=tenant_a, request_id=req.public_id, actor=alice, note="We reached them")
    notice = Notification.objects.get(customer=acme_customer, type="return_rejected", channel="in_app")
    assert "We reached them" in notice.body
