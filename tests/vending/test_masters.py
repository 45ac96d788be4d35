"""Master accounts relate accounts without copying them; Synchronize previews, then applies chosen fields."""

from __future__ import annotations

import pytest

from juiced.core.errors import ValidationFailed
from juiced.core.tenancy import StaffAccess
from juiced.tenants.roles import StaffRole
from juiced.vending.masters import master_create, master_sync_apply, master_sync_preview, master_update
from juiced.vending.models import Account, AccountEvent
from juiced.vending.setup import account_update


@pytest.fixture
def admin(alice, tenant_a):
    return StaffAccess(user=alice, tenant=tenant_a, role=StaffRole.ADMIN)


@pytest.fixture
def estate(admin, tenant_a, make_account, make_tariff):
    """A master "Estate" on tariff Business linking three accounts on tariff Residential."""
    residential = make_tariff(tenant_a, name="Residential")
    business = make_tariff(tenant_a, name="Business")
    accounts = [make_account(tenant_a, tariff=residential) for _ in range(3)]
    master = master_create(
        access=admin,
        data={
            "name": "Estate",
            "tariff": business.public_id,
            "arrears_recovery_bp": 1_500,
            "accounts": [a.public_id for a in accounts],
        },
    )
    return master, accounts, residential, business


def test_linking_relates_accounts_without_copying(estate):
    master, accounts, residential, _business = estate
    for account in accounts:
        account.refresh_from_db()
        assert account.master == master and account.tariff == residential and account.arrears_recovery_bp == 0
        assert account.events.get(action="master_linked").changes == {"master": [None, master.public_id]}


def test_editing_the_master_leaves_accounts_and_editing_an_account_leaves_the_master(admin, estate):
    master, accounts, residential, _ = estate
    master_update(
        access=admin, master=master, data={"arrears_recovery_bp": 2_500, "maximum_purchase": 900_000}
    )
    account = Account.objects.get(pk=accounts[0].pk)
    assert (account.arrears_recovery_bp, account.maximum_purchase) == (0, None)
    account_update(access=admin, account=account, data={"arrears_recovery_bp": 100})
    master.refresh_from_db()
    assert master.arrears_recovery_bp == 2_500


def test_preview_lists_only_differing_fields_and_changes_nothing(estate):
    master, accounts, residential, business = estate
    Account.objects.filter(pk=accounts[2].pk).update(arrears_recovery_bp=1_500)
    before = AccountEvent.objects.count()
    preview = master_sync_preview(master=master, fields=["tariff", "arrears_recovery_bp"])
    assert [row["account"] for row in preview] == accounts
    assert preview[0]["changes"] == {"tariff": [residential, business], "arrears_recovery_bp": [0, 1_500]}
    assert preview[2]["changes"] == {"tariff": [residential, business]}
    assert AccountEvent.objects.count() == before
    assert set(Account.objects.values_list("tariff", flat=True)) == {residential.pk}


def test_apply_pushes_the_chosen_fields_and_records_history(admin, estate, make_account, tenant_a):
    master, accounts, residential, business = estate
    outsider = make_account(tenant_a, tariff=residential)
    result = master_sync_apply(access=admin, master=master, fields=["tariff"])
    assert [row["changes"] for row in result] == [{"tariff": [residential, business]}] * 3
    for account in accounts:
        account.refresh_from_db()
        assert account.tariff == business and account.arrears_recovery_bp == 0  # only the chosen field
        event = account.events.get(action="synchronized")
        assert event.changes == {"tariff": [residential.public_id, business.public_id]}
        assert "Estate" in event.summary and event.actor == admin.user
    outsider.refresh_from_db()
    assert outsider.tariff == residential
    # A second run has nothing to change and records nothing.
    again = master_sync_apply(access=admin, master=master, fields=["tariff"])
    assert all(row["changes"] == {} for row in again)
    assert AccountEvent.objects.filter(action="synchronized").count() == 3


@pytest.mark.parametrize("fields", [[], ["name"], ["tariff", "status"], "tariff"])
def test_sync_refuses_fields_outside_the_sync_list(admin, estate, fields):
    master = estate[0]
    with pytest.raises(ValidationFailed) as exc_info:
        master_sync_apply(access=admin, master=master, fields=fields)
    assert set(exc_info.value.fields) == {"fields"}
    assert not AccountEvent.objects.filter(action="synchronized").exists()


def test_sync_of_tariff_needs_a_master_tariff(admin, estate):
    master = master_update(access=admin, master=estate[0], data={"tariff": None})
    with pytest.raises(ValidationFailed) as exc_info:
        master_sync_preview(master=master, fields=["tariff"])
    assert "no tariff" in exc_info.value.fields["fields"][0]


def test_relinking_unlinks_the_missing_accounts(admin, estate):
    master, accounts, *_ = estate
    master_update(access=admin, master=master, data={"accounts": [accounts[0].public_id]})
    assert list(master.accounts.all()) == [accounts[0]]
    assert accounts[1].events.filter(action="master_unlinked").exists()


def test_master_refuses_another_tenants_accounts_and_bad_limits(admin, tenant_b, make_account):
    foreign = make_account(tenant_b)
    with pytest.raises(ValidationFailed) as exc_info:
        master_create(
            access=admin,
            data={
                "name": "",
                "accounts": [foreign.public_id],
                "minimum_purchase": 500,
                "maximum_purchase": 100,
            },
        )
    assert set(exc_info.value.fields) == {"name", "accounts", "maximum_purchase"}
