"""The account's money forms (wallet top-up, deposit paid and refunded, plan instalments) carry a key
rendered with the page: a double click or a refresh that posts the same form again moves the money once."""

from __future__ import annotations

import datetime
import re

import pytest

from juiced.core.tenancy import staff_access_for_tenant
from juiced.vending.arrears import debt_add, plan_create
from juiced.vending.models import AccountEntry, Pocket

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 31)


def page_url(tenant, account, path: str) -> str:
    return f"/manage/{tenant.slug}/vending/accounts/{account.public_id}/{path}"


def form_keys(html: str) -> list[str]:
    return re.findall(r'name="idempotency_key" value="(web-[0-9a-f]+)"', html)


@pytest.fixture
def account(tenant_a, make_account):
    return make_account(tenant_a, phone="+15555550133")


def test_wallet_top_up_posted_twice_tops_up_once(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    [key] = form_keys(client.get(page_url(tenant_a, account, "wallet/")).content.decode())
    form = {"amount": "30.00", "payment_kind": "cash", "idempotency_key": key}
    for _click in range(2):
        response = client.post(page_url(tenant_a, account, "wallet/topup/"), form)
        assert response.status_code == 302
    account.refresh_from_db()
    assert account.wallet_balance == 3000
    assert AccountEntry.objects.filter(account=account, pocket=Pocket.WALLET).count() == 1


def test_each_rendering_gets_its_own_key_so_two_real_top_ups_both_count(
    account, supervisor, login_client, tenant_a
):
    client = login_client(supervisor)
    for _top_up in range(2):
        [key] = form_keys(client.get(page_url(tenant_a, account, "wallet/")).content.decode())
        form = {"amount": "10.00", "payment_kind": "cash", "idempotency_key": key}
        assert client.post(page_url(tenant_a, account, "wallet/topup/"), form).status_code == 302
    account.refresh_from_db()
    assert account.wallet_balance == 2000


def test_deposit_paid_and_refunded_twice_move_the_money_once(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    pay_key, refund_key = form_keys(client.get(page_url(tenant_a, account, "deposit/")).content.decode())
    assert pay_key != refund_key
    paid = {"amount": "50.00", "payment_kind": "cash", "idempotency_key": pay_key}
    refunded = {
        "amount": "20.00",
        "payment_kind": "cash",
        "note": "Meter moved",
        "idempotency_key": refund_key,
    }
    for _click in range(2):
        assert client.post(page_url(tenant_a, account, "deposit/pay/"), paid).status_code == 302
    for _click in range(2):
        assert client.post(page_url(tenant_a, account, "deposit/refund/"), refunded).status_code == 302
    account.refresh_from_db()
    assert account.deposit_balance == 3000
    assert AccountEntry.objects.filter(account=account, pocket=Pocket.DEPOSIT).count() == 2
    assert account.notes.filter(action="deposit_refund").count() == 1


def test_instalment_posted_twice_is_paid_once(account, supervisor, login_client, tenant_a):
    boss = staff_access_for_tenant(supervisor, tenant_a)
    debt = debt_add(access=boss, account=account, amount=6000, reason="Old bill")
    plan = plan_create(
        access=boss, debt=debt, instalments=3, interest_bp=0, frequency="monthly", start_date=START
    )
    client = login_client(supervisor)
    [key] = form_keys(client.get(page_url(tenant_a, account, "arrears/")).content.decode())
    form = {"amount": "20.00", "payment_kind": "cash", "idempotency_key": key}
    for _click in range(2):
        response = client.post(page_url(tenant_a, account, f"arrears/plans/{plan.public_id}/pay/"), form)
        assert response.status_code == 302
    account.refresh_from_db()
    assert account.arrears_balance == 4000
    assert list(plan.schedule.values_list("paid", flat=True)) == [2000, 0, 0]
