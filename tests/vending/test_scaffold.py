from juiced.core.crypto import decrypt_secret
from juiced.tenants.roles import StaffRole, role_can
from tests.vending.conftest import METER_KEY_HEX


def test_factories_make_an_active_account(tenant_a, make_account):
    account = make_account(tenant_a)
    assert account.status == "active"
    assert decrypt_secret(account.meter.openpaygo_secret_key) == METER_KEY_HEX
    assert account.tariff.current_version.number == 1


def test_cashiers_see_vending_only():
    assert role_can(StaffRole.CASHIER, "vending.sell")
    assert not role_can(StaffRole.CASHIER, "leads.view")
    assert not role_can(StaffRole.CASHIER, "customers.view")
    assert not role_can(StaffRole.CASHIER, "vending.reverse")
    assert role_can(StaffRole.VENDING_SUPERVISOR, "vending.reverse")
