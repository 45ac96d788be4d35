"""Quick Pay: one transaction sells, issues tokens, posts entries, fills the batch and queues receipts."""

from __future__ import annotations

import datetime

import openpaygo
import pytest
from django.utils import timezone

from juiced.core.errors import (
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import debt_add, wallet_topup
from juiced.vending.batches import vendor_for
from juiced.vending.ledger import vending_ledger_check
from juiced.vending.models import (
    AccountEntry,
    AccountEvent,
    AccountNote,
    ArrearsDebt,
    Sale,
    TariffVersion,
    Token,
    VendingMessage,
)
from juiced.vending.sales import quick_pay, quote_for_account
from tests.vending.conftest import METER_KEY_HEX, METER_STARTING_CODE


@pytest.fixture
def sell(tenant_a, cashier):
    access = staff_access_for_tenant(cashier, tenant_a)

    def run(account, amount=1_000, payment_kind="cash", **kwargs):
        return quick_pay(
            access=kwargs.pop("access", access),
            account=account,
            amount=amount,
            payment_kind=payment_kind,
            **kwargs,
        )

    return run


def snapshot(account):
    account.refresh_from_db()
    account.meter.refresh_from_db()
    return (
        Sale.objects.count(),
        Token.objects.count(),
        AccountEntry.objects.count(),
        account.wallet_balance,
        account.arrears_balance,
        account.carry_mc,
        account.meter.token_count,
    )


def test_cash_sale_gives_change_issues_a_token_and_fills_the_batch(
    tenant_a, cashier, make_account, make_tariff, sell
):
    tariff = make_tariff(tenant_a, flat_rate=20_000, fixed_per_purchase=100, tax_bp=1_600)
    account = make_account(tenant_a, tariff=tariff)
    sale, replayed = sell(account, amount=2_000, tendered=5_000, reference="till 1")
    assert not replayed
    assert (sale.amount, sale.tendered, sale.change_due) == (2_000, 5_000, 3_000)
    assert (sale.tax, sale.fixed_charges, sale.energy_money) == (276, 100, 1_624)
    assert sale.energy_wh == 81_200 and sale.carry_out_mc == 0
    assert sale.tariff_version == tariff.current_version
    assert sale.breakdown["lines"][0] == {"label": "Amount", "amount": 2_000}
    (token,) = sale.tokens.all()
    assert (token.value, token.count, token.energy_wh) == (812, 2, 81_200)
    value, kind, count, _ = openpaygo.decode_token(
        token=token.token,
        secret_key=METER_KEY_HEX,
        count=1,
        used_counts=[],
        starting_code=METER_STARTING_CODE,
    )
    assert (value, kind, count) == (812, openpaygo.TokenType.ADD_TIME, 2)
    vendor = vendor_for(access=staff_access_for_tenant(cashier, tenant_a))
    assert sale.vendor == vendor and sale.batch.vendor == vendor and sale.batch.status == "open"
    account.refresh_from_db()
    assert account.last_purchase_at is not None and account.meter.token_count == 2
    assert AccountEvent.objects.filter(account=account, action="sale").count() == 1
    assert VendingMessage.objects.filter(sale=sale, kind="receipt", channel="email").count() == 1
    assert vending_ledger_check(tenant_a) == []


def test_a_replayed_idempotency_key_returns_the_first_sale(tenant_a, make_account, sell):
    account = make_account(tenant_a)
    first, replayed = sell(account, amount=1_500, idempotency_key="click-1")
    again, replayed_again = sell(account, amount=1_500, idempotency_key="click-1")
    assert (again.pk, replayed, replayed_again) == (first.pk, False, True)
    before = snapshot(account)
    with pytest.raises(IdempotencyKeyReused):
        sell(account, amount=1_600, idempotency_key="click-1")
    assert snapshot(account) == before and Sale.objects.count() == 1


def test_an_inactive_account_or_a_disabled_meter_cannot_buy(tenant_a, make_account, make_meter, sell):
    pending = make_account(tenant_a, status="pending")
    with pytest.raises(ValidationFailed) as exc:
        sell(pending)
    assert "is pending activation" in exc.value.fields["account"][0]
    account = make_account(tenant_a, meter=make_meter(tenant_a, vending_enabled=False))
    before = snapshot(account)
    with pytest.raises(ValidationFailed) as exc:
        sell(account)
    assert exc.value.fields["meter"][0].startswith("Vending is disabled on meter")
    assert snapshot(account) == before


def test_cash_tendered_must_cover_the_amount(tenant_a, make_account, sell):
    account = make_account(tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        sell(account, amount=1_000, tendered=900)
    assert "tendered" in exc.value.fields
    assert Sale.objects.count() == 0


def test_cashier_limits_per_sale_and_per_day(tenant_a, cashier, make_account, sell):
    vendor = vendor_for(access=staff_access_for_tenant(cashier, tenant_a))
    vendor.limit_per_sale, vendor.limit_per_day = 5_000, 8_000
    vendor.save()
    account = make_account(tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        sell(account, amount=5_001)
    assert exc.value.fields["amount"][0].startswith("Above your limit per sale")
    sell(account, amount=5_000)
    with pytest.raises(ValidationFailed) as exc:
        sell(account, amount=3_001)
    assert (
        "daily limit" in exc.value.fields["amount"][0]
        and "$30.00 left today" in exc.value.fields["amount"][0]
    )
    sell(account, amount=3_000)
    assert Sale.objects.count() == 2


def test_a_cashier_without_a_till_cannot_sell(tenant_a, make_staff, make_account):
    from juiced.tenants.roles import StaffRole

    lone = staff_access_for_tenant(make_staff(StaffRole.CASHIER, email="lone@acme.test"), tenant_a)
    with pytest.raises(PermissionDenied):
        quick_pay(access=lone, account=make_account(tenant_a), amount=1_000, payment_kind="cash")


def test_free_issue_needs_the_permission_and_a_note(tenant_a, supervisor, make_account, sell):
    account = make_account(tenant_a)
    with pytest.raises(PermissionDenied):
        sell(account, payment_kind="free_issue", note="storm")
    boss = staff_access_for_tenant(supervisor, tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        sell(account, payment_kind="free_issue", access=boss)
    assert "note" in exc.value.fields
    sale, _ = sell(account, payment_kind="free_issue", note="Storm compensation", access=boss)
    assert sale.vendor is None and sale.batch is None and sale.tendered == 0
    assert AccountNote.objects.get(account=account, action="free_issue").body == "Storm compensation"


def test_wallet_sales_spend_the_wallet_and_refuse_when_short(tenant_a, make_account, sell, cashier):
    account = make_account(tenant_a)
    wallet_topup(
        access=staff_access_for_tenant(cashier, tenant_a), account=account, amount=1_500, payment_kind="card"
    )
    before = snapshot(account)
    with pytest.raises(InsufficientFunds):
        sell(account, amount=2_000, payment_kind="wallet")
    assert snapshot(account) == before
    sale, _ = sell(account, amount=1_200, payment_kind="wallet")
    account.refresh_from_db()
    assert account.wallet_balance == 300
    assert AccountEntry.objects.get(sale=sale).amount == -1_200
    assert vending_ledger_check(tenant_a) == []


def test_arrears_share_recovers_the_oldest_debt_first(tenant_a, supervisor, make_account, sell):
    account = make_account(tenant_a)
    boss = staff_access_for_tenant(supervisor, tenant_a)
    older = debt_add(access=boss, account=account, amount=300, reason="Old meter", recovery_bp=2_500)
    newer = debt_add(access=boss, account=account, amount=1_000, reason="Tamper fine")
    sale, _ = sell(account, amount=2_000)
    assert sale.arrears_share == 500
    older.refresh_from_db(), newer.refresh_from_db(), account.refresh_from_db()
    assert (older.balance, newer.balance, account.arrears_balance) == (0, 800, 800)
    entries = list(AccountEntry.objects.filter(sale=sale).order_by("pk").values_list("debt_id", "amount"))
    assert entries == [(older.pk, -300), (newer.pk, -200)]
    sale, _ = sell(account, amount=10_000)
    assert sale.arrears_share == 800  # never more than the debt
    assert ArrearsDebt.objects.filter(balance__gt=0).count() == 0
    assert vending_ledger_check(tenant_a) == []


def test_another_tenants_staff_cannot_sell_on_the_account(tenant_a, tenant_b, bob, make_account):
    account = make_account(tenant_a)
    with pytest.raises(NotFound):
        quick_pay(
            access=staff_access_for_tenant(bob, tenant_b), account=account, amount=1_000, payment_kind="cash"
        )


def test_blocks_use_the_months_earlier_purchases_and_the_sale_records_its_version(
    tenant_a, make_account, make_tariff, sell
):
    tariff = make_tariff(
        tenant_a,
        kind="blocks",
        flat_rate=None,
        blocks=[{"up_to_kwh": 10, "rate": 10_000}, {"up_to_kwh": None, "rate": 40_000}],
    )
    account = make_account(tenant_a, tariff=tariff)
    assert quote_for_account(account=account, amount=100).energy_wh == 10_000
    sale, _ = sell(account, amount=100)
    account.refresh_from_db()
    assert quote_for_account(account=account, amount=100).energy_wh == 2_500 // 100 * 100
    new_version = TariffVersion.objects.create(
        tenant=tenant_a, tariff=tariff, number=2, kind="flat", flat_rate=20_000
    )
    tariff.current_version = new_version
    tariff.save()
    account.refresh_from_db()
    later, _ = sell(account, amount=100)
    assert (sale.tariff_version.number, later.tariff_version.number) == (1, 2)
    next_month = timezone.now() + datetime.timedelta(days=40)
    assert quote_for_account(account=account, amount=100, at=next_month).energy_wh == 5_000


def test_a_meter_with_a_1_kwh_step_buys_whole_steps_and_carries_the_rest(
    tenant_a, make_account, make_meter, sell
):
    account = make_account(tenant_a, meter=make_meter(tenant_a, energy_step_wh=1_000))
    sale, _ = sell(account, amount=1_050)  # 52.5 kWh at 20 ¢
    assert sale.energy_wh == 52_000 and sale.carry_out_mc == 10_000
    assert sale.tokens.get().value == 52
