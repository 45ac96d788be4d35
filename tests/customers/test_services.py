"""Customer services: validation with field errors, the state rules of archive/pause, and the audit log."""

from __future__ import annotations

import pytest

from juiced.core.errors import InvalidState, ValidationFailed
from juiced.core.ids import is_public_id
from juiced.core.models import AuditEntry
from juiced.customers.models import Customer
from juiced.customers.selectors import customer_statuses
from juiced.customers.services import (
    customer_archive,
    customer_create,
    customer_pause,
    customer_restore,
    customer_unpause,
    customer_update,
)
from juiced.customers.status import Display, Funding
from juiced.wallets.models import Wallet

pytestmark = pytest.mark.django_db


def _snapshot(customer: Customer) -> dict:
    fresh = Customer.objects.get(pk=customer.pk)
    fields = ("name", "email", "is_paused", "archived_at", "daily_cap", "monthly_budget", "is_onboarded")
    return {
        **{f: getattr(fresh, f) for f in fields},
        "audit": AuditEntry.objects.filter(customer=customer).count(),
    }


# --- create ---------------------------------------------------------------------------------------


def test_create_gives_a_public_id_an_empty_wallet_and_starts_exhausted(tenant_a, alice):
    customer = customer_create(
        tenant=tenant_a, actor=alice, data={"name": " Zed Roofing ", "email": "OPS@Zed.test", "daily_cap": 5}
    )
    assert is_public_id(customer.public_id, "cus")
    assert (customer.name, customer.email, customer.daily_cap) == ("Zed Roofing", "ops@zed.test", 5)
    wallet = Wallet.objects.get(customer=customer)
    assert (wallet.balance, wallet.held, wallet.currency) == (0, 0, tenant_a.currency)
    statuses = customer_statuses(Customer.objects.get(pk=customer.pk))
    assert (statuses.funding, statuses.display) == (Funding.EXHAUSTED, Display.INACTIVE)
    entry = AuditEntry.objects.get(customer=customer)
    assert (entry.action, entry.actor) == ("customer.created", alice)
    assert entry.changes["name"] == [None, "Zed Roofing"]


def test_create_reports_every_invalid_field_at_once_and_creates_nothing(tenant_a, alice):
    data = {
        "name": "",
        "email": "not-an-email",
        "daily_cap": -3,
        "monthly_budget": "12.345",
        "is_onboarded": "y",
    }
    with pytest.raises(ValidationFailed) as refused:
        customer_create(tenant=tenant_a, actor=alice, data=data)
    assert set(refused.value.fields) == {"name", "email", "daily_cap", "monthly_budget", "is_onboarded"}
    assert Customer.objects.count() == 0 and Wallet.objects.count() == 0
    assert not AuditEntry.objects.filter(action="customer.created").exists()


def test_create_requires_name_and_email(tenant_a, alice):
    with pytest.raises(ValidationFailed) as refused:
        customer_create(tenant=tenant_a, actor=alice, data={})
    assert refused.value.fields == {"name": ["This field is required."], "email": ["This field is required."]}


def test_unknown_fields_are_refused(tenant_a, alice):
    with pytest.raises(ValidationFailed) as refused:
        customer_create(tenant=tenant_a, actor=alice, data={"name": "A", "email": "a@a.test", "tenant": 2})
    assert refused.value.fields == {"tenant": ["Unknown field."]}
    assert Customer.objects.count() == 0


def test_budgets_typed_as_amounts_become_cents(tenant_a, alice):
    customer = customer_create(
        tenant=tenant_a, actor=alice, data={"name": "A", "email": "a@a.test", "weekly_budget": "1,250.50"}
    )
    assert customer.weekly_budget == 125_050


# --- update ---------------------------------------------------------------------------------------


def test_update_records_old_and_new_values_of_changed_fields_only(acme_customer, alice):
    customer_update(
        customer=acme_customer,
        actor=alice,
        data={"name": "Acme Insurance", "phone": "555-0100", "daily_cap": 7},
    )
    entry = AuditEntry.objects.get(customer=acme_customer, action="customer.updated")
    assert entry.changes == {"phone": ["", "555-0100"], "daily_cap": [None, 7]}
    assert entry.actor == alice and entry.actor_label == "alice@acme.test"


def test_update_with_no_change_writes_no_audit_entry(acme_customer, alice):
    before = _snapshot(acme_customer)
    customer_update(customer=acme_customer, actor=alice, data={"name": "Acme Insurance"})
    assert _snapshot(acme_customer) == before


def test_invalid_update_changes_nothing(acme_customer, alice):
    before = _snapshot(acme_customer)
    with pytest.raises(ValidationFailed) as refused:
        customer_update(customer=acme_customer, actor=alice, data={"name": "New", "email": "bad"})
    assert set(refused.value.fields) == {"email"}
    assert _snapshot(acme_customer) == before


def test_clearing_a_cap_makes_it_unlimited_again(acme_customer, alice):
    customer_update(customer=acme_customer, actor=alice, data={"daily_cap": 3})
    updated = customer_update(customer=acme_customer, actor=alice, data={"daily_cap": ""})
    assert updated.daily_cap is None


# --- archive, restore, pause, unpause ---------------------------------------------------------------


def test_pause_and_unpause_are_audited_with_old_and_new(acme_customer, alice):
    paused = customer_pause(customer=acme_customer, actor=alice)
    assert paused.is_paused and customer_statuses(paused).display is Display.PAUSED
    customer_unpause(customer=acme_customer, actor=alice)
    entries = AuditEntry.objects.filter(customer=acme_customer).order_by("id")
    assert [(e.action, e.changes) for e in entries][1:] == [
        ("customer.paused", {"is_paused": [False, True]}),
        ("customer.unpaused", {"is_paused": [True, False]}),
    ]


def test_pausing_twice_or_unpausing_an_active_customer_is_refused(acme_customer, alice):
    before = _snapshot(acme_customer)
    with pytest.raises(InvalidState):
        customer_unpause(customer=acme_customer, actor=alice)
    assert _snapshot(acme_customer) == before
    customer_pause(customer=acme_customer, actor=alice)
    before = _snapshot(acme_customer)
    with pytest.raises(InvalidState):
        customer_pause(customer=acme_customer, actor=alice)
    assert _snapshot(acme_customer) == before


def test_archive_then_restore(acme_customer, alice):
    archived = customer_archive(customer=acme_customer, actor=alice)
    assert archived.is_archived and customer_statuses(archived).display is Display.ARCHIVED
    restored = customer_restore(customer=acme_customer, actor=alice)
    assert not restored.is_archived
    actions = list(
        AuditEntry.objects.filter(customer=acme_customer).order_by("id").values_list("action", flat=True)
    )
    assert actions[-2:] == ["customer.archived", "customer.restored"]
    assert AuditEntry.objects.get(action="customer.restored").changes["archived_at"][1] is None


def test_archiving_twice_or_restoring_an_active_customer_is_refused(acme_customer, alice):
    before = _snapshot(acme_customer)
    with pytest.raises(InvalidState):
        customer_restore(customer=acme_customer, actor=alice)
    assert _snapshot(acme_customer) == before
    customer_archive(customer=acme_customer, actor=alice)
    before = _snapshot(acme_customer)
    with pytest.raises(InvalidState):
        customer_archive(customer=acme_customer, actor=alice)
    assert _snapshot(acme_customer) == before


def test_an_archived_customer_cannot_be_paused_or_unpaused(acme_customer, alice):
    customer_archive(customer=acme_customer, actor=alice)
    before = _snapshot(acme_customer)
    with pytest.raises(InvalidState):
        customer_pause(customer=acme_customer, actor=alice)
    with pytest.raises(InvalidState):
        customer_unpause(customer=acme_customer, actor=alice)
    assert _snapshot(acme_customer) == before


def test_restore_keeps_a_paused_customer_paused(acme_customer, alice):
    customer_pause(customer=acme_customer, actor=alice)
    customer_archive(customer=acme_customer, actor=alice)
    restored = customer_restore(customer=acme_customer, actor=alice)
    assert restored.is_paused and customer_statuses(restored).display is Display.PAUSED
