"""Quick Pay through the pages (amount → confirmation with the breakdown → receipt with the tokens), the
confirm step's idempotency, reversals, cashiers' batches and limits, arrears, wallet and deposit forms."""

from __future__ import annotations

import re

import openpaygo
import pytest

from juiced.tenants.roles import StaffRole
from juiced.vending.models import AccountEntry, ArrearsDebt, Batch, RepaymentPlan, Sale, Vendor
from tests.vending.conftest import METER_KEY_HEX, METER_STARTING_CODE

pytestmark = pytest.mark.django_db


def url(tenant, path: str = "") -> str:
    return f"/manage/{tenant.slug}/vending/{path}"


@pytest.fixture
def account(tenant_a, make_account):
    return make_account(tenant_a)


def confirmation(client, tenant, account, kind="cash", **data):
    """Post the Quick Pay form; the confirmation page and its hidden fields."""
    response = client.post(url(tenant, f"accounts/{account.public_id}/pay/{kind}/"), data)
    html = response.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    hidden.pop("csrfmiddlewaretoken", None)
    return response, html, hidden


def test_cash_sale_confirmation_shows_the_breakdown_and_change_due(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    assert client.get(url(tenant_a, f"accounts/{account.public_id}/pay/cash/")).status_code == 200
    response, html, hidden = confirmation(client, tenant_a, account, amount="10.00", tendered="20")
    assert response.status_code == 200
    assert 'data-testid="change-due"><strong>$10.00' in html
    assert 'data-testid="energy">50.0 kWh' in html  # flat 20 ¢/kWh
    assert "To arrears" in html and "Fixed charges" in html and "Tax" in html
    assert hidden["idempotency_key"].startswith("web-") and hidden["amount"] == "10.00"
    assert not Sale.objects.exists()  # nothing is sold before Confirm


def test_confirming_twice_sells_once_and_shows_the_same_receipt(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    _response, _html, hidden = confirmation(client, tenant_a, account, amount="10.00", tendered="20.00")
    confirm_url = url(tenant_a, f"accounts/{account.public_id}/pay/cash/confirm/")
    first = client.post(confirm_url, hidden)
    second = client.post(confirm_url, hidden)  # a double click or a refresh
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    sale = Sale.objects.get()
    assert first["Location"] == url(tenant_a, f"sales/{sale.public_id}/")
    assert (sale.amount, sale.tendered, sale.change_due, sale.energy_wh) == (1000, 2000, 1000, 50_000)
    receipt = client.get(first["Location"]).content.decode()
    token = sale.tokens.get()
    grouped = " ".join(token.token[i : i + 3] for i in range(0, len(token.token), 3))
    assert grouped in receipt and "nothing was sold twice" in receipt
    value, kind, count, _ = openpaygo.decode_token(
        token=token.token,
        secret_key=METER_KEY_HEX,
        count=1,
        used_counts=[],
        starting_code=METER_STARTING_CODE,
    )
    assert kind == openpaygo.TokenType.ADD_TIME and value * account.meter.energy_step_wh == sale.energy_wh


def test_a_new_confirmation_gets_a_new_key(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    keys = {
        confirmation(client, tenant_a, account, amount="5", tendered="5")[2]["idempotency_key"] for _ in "ab"
    }
    assert len(keys) == 2


def test_confirm_without_the_key_sells_nothing(account, cashier, login_client, tenant_a):
    response = login_client(cashier).post(
        url(tenant_a, f"accounts/{account.public_id}/pay/cash/confirm/"), {"amount": "5", "tendered": "5"}
    )
    assert response.status_code == 422 and "confirmation expired" in response.content.decode()
    assert not Sale.objects.exists()


def test_tendered_below_the_amount_is_a_field_error_and_keeps_input(account, cashier, login_client, tenant_a):
    response, html, _ = confirmation(
        login_client(cashier), tenant_a, account, amount="10.00", tendered="5.00"
    )
    assert response.status_code == 422
    assert "The cash tendered is less than the amount." in html
    assert 'value="10.00"' in html and 'value="5.00"' in html


def test_amount_below_the_tariff_minimum_is_shown_on_the_amount(
    tenant_a, make_account, make_tariff, cashier, login_client
):
    account = make_account(tenant_a, tariff=make_tariff(tenant_a, minimum_purchase=500))
    response, html, _ = confirmation(login_client(cashier), tenant_a, account, amount="1.00", tendered="1.00")
    assert response.status_code == 422 and 'id="id_amount-error"' in html


def test_disabled_meter_refuses_the_sale_with_a_clear_error(
    tenant_a, make_account, make_meter, cashier, login_client
):
    account = make_account(tenant_a, meter=make_meter(tenant_a, vending_enabled=False))
    client = login_client(cashier)
    response = client.post(
        url(tenant_a, f"accounts/{account.public_id}/pay/cash/confirm/"),
        {"amount": "5", "tendered": "5", "idempotency_key": "web-test-disabled"},
    )
    assert response.status_code == 422 and "disabled" in response.content.decode().lower()
    assert not Sale.objects.exists()


def test_disabled_meter_is_refused_before_the_confirmation(
    tenant_a, make_account, make_meter, cashier, login_client
):
    account = make_account(tenant_a, meter=make_meter(tenant_a, vending_enabled=False))
    response, html, hidden = confirmation(login_client(cashier), tenant_a, account, amount="5", tendered="5")
    assert response.status_code == 422 and "Vending is disabled on meter" in html
    assert "idempotency_key" not in hidden and "Confirm sale" not in html


def test_a_short_wallet_is_refused_before_the_confirmation(account, cashier, login_client, tenant_a):
    response, html, hidden = confirmation(login_client(cashier), tenant_a, account, kind="wallet", amount="5")
    assert response.status_code == 422 and "The wallet holds $0.00; it does not cover $5.00." in html
    assert "idempotency_key" not in hidden and not Sale.objects.exists()


def test_the_tills_limit_per_sale_is_shown_on_the_amount_before_the_confirmation(
    account, cashier, login_client, tenant_a
):
    Vendor.objects.filter(user=cashier).update(limit_per_sale=1000)
    response, html, hidden = confirmation(
        login_client(cashier), tenant_a, account, amount="15.00", tendered="20.00"
    )
    assert response.status_code == 422 and 'id="id_amount-error"' in html
    assert "Above your limit per sale of $10.00." in html and "idempotency_key" not in hidden


def test_the_shopping_cart_is_the_cash_button(account, cashier, login_client, tenant_a):
    response = login_client(cashier).get(url(tenant_a, f"accounts/{account.public_id}/cart/"))
    assert response["Location"] == url(tenant_a, f"accounts/{account.public_id}/pay/cash/")


def test_card_payment_keeps_its_reference(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    _r, html, hidden = confirmation(client, tenant_a, account, kind="card", amount="4", reference="SLIP-77")
    assert "Reference: SLIP-77" in html
    client.post(url(tenant_a, f"accounts/{account.public_id}/pay/card/confirm/"), hidden)
    assert Sale.objects.get().payment_reference == "SLIP-77"


def test_free_issue_is_for_supervisors_and_needs_a_note(account, cashier, supervisor, login_client, tenant_a):
    assert (
        login_client(cashier).get(url(tenant_a, f"accounts/{account.public_id}/pay/free_issue/")).status_code
        == 403
    )
    client = login_client(supervisor)
    response, html, _ = confirmation(client, tenant_a, account, kind="free_issue", amount="3")
    assert response.status_code == 422 and "A note is required for a free issue." in html
    _r, _html, hidden = confirmation(
        client, tenant_a, account, kind="free_issue", amount="3", note="Meter fault"
    )
    client.post(url(tenant_a, f"accounts/{account.public_id}/pay/free_issue/confirm/"), hidden)
    sale = Sale.objects.get()
    assert sale.payment_kind == "free_issue" and sale.note == "Meter fault"


def test_unknown_payment_kind_is_not_found(account, cashier, login_client, tenant_a):
    assert (
        login_client(cashier).get(url(tenant_a, f"accounts/{account.public_id}/pay/bitcoin/")).status_code
        == 404
    )


# --- reversal --------------------------------------------------------------------------------------------


@pytest.fixture
def sale(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    _r, _html, hidden = confirmation(client, tenant_a, account, amount="10", tendered="10")
    client.post(url(tenant_a, f"accounts/{account.public_id}/pay/cash/confirm/"), hidden)
    return Sale.objects.get()


def test_supervisor_reverses_with_a_reason(sale, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    reverse_url = url(tenant_a, f"sales/{sale.public_id}/reverse/")
    response = client.post(reverse_url, {"reason": ""})
    assert response.status_code == 422 and "A reason is required." in response.content.decode()
    assert Sale.objects.count() == 1
    response = client.post(reverse_url, {"reason": "Wrong account"})
    assert response.status_code == 302
    reversal = Sale.objects.get(kind="reversal")
    assert reversal.reverses == sale and reversal.amount == -sale.amount
    assert sale.tokens.get().status == "void"
    assert "void" in client.get(url(tenant_a, f"accounts/{sale.account.public_id}/vends/")).content.decode()


def test_a_reversed_sales_receipt_says_so_and_links_the_reversal(sale, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    receipt_url = url(tenant_a, f"sales/{sale.public_id}/")
    assert 'data-testid="reversed"' not in client.get(receipt_url).content.decode()
    client.post(url(tenant_a, f"sales/{sale.public_id}/reverse/"), {"reason": "Wrong account"})
    reversal = Sale.objects.get(kind="reversal")
    html = client.get(receipt_url).content.decode()
    banner = html.split('data-testid="reversed">')[1].split("</p>")[0]
    assert "Wrong account" in banner and "Its token is void." in banner and supervisor.email in banner
    assert f'href="{url(tenant_a, f"sales/{reversal.public_id}/")}"' in banner
    assert "Reverse this sale" not in html
    reversal_html = client.get(url(tenant_a, f"sales/{reversal.public_id}/")).content.decode()
    assert f'href="{receipt_url}"' in reversal_html.split('data-testid="reverses">')[1].split("</p>")[0]


def test_cashier_cannot_reverse(sale, cashier, login_client, tenant_a):
    client = login_client(cashier)
    assert "Reverse this sale" not in client.get(url(tenant_a, f"sales/{sale.public_id}/")).content.decode()
    assert client.post(url(tenant_a, f"sales/{sale.public_id}/reverse/"), {"reason": "x"}).status_code == 403
    assert Sale.objects.count() == 1


# --- batches and vendors ---------------------------------------------------------------------------------


def test_cashier_sees_todays_batch_by_payment_kind_and_closes_it(sale, cashier, login_client, tenant_a):
    client = login_client(cashier)
    html = client.get(url(tenant_a, "my-batch/")).content.decode()
    assert "Cash" in html and 'data-testid="batch-total"><strong>$10.00' in html
    response = client.post(url(tenant_a, f"batches/{sale.batch.public_id}/close/"))
    assert response.status_code == 302
    batch = Batch.objects.get(pk=sale.batch_id)
    assert batch.status == "closed" and batch.totals == {"cash": 1000}
    assert "Closed" in client.get(url(tenant_a, f"batches/{batch.public_id}/")).content.decode()


def test_a_cashier_cannot_see_another_cashiers_batch(sale, make_staff, make_vendor, login_client, tenant_a):
    other = make_staff(StaffRole.CASHIER, email="other.cashier@acme.test")
    make_vendor(other, tenant_a)
    client = login_client(other)
    assert client.get(url(tenant_a, f"batches/{sale.batch.public_id}/")).status_code == 404
    assert client.post(url(tenant_a, f"batches/{sale.batch.public_id}/close/")).status_code == 404


def test_supervisor_sees_all_vendors_and_edits_limits(sale, cashier, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    vendor = Vendor.objects.get(user=cashier)
    assert vendor.name in client.get(url(tenant_a, "vendors/")).content.decode()
    bad = client.post(
        url(tenant_a, f"vendors/{vendor.public_id}/"), {"limit_per_sale": "lots", "is_active": "on"}
    )
    assert bad.status_code == 422 and 'value="lots"' in bad.content.decode()
    ok = client.post(
        url(tenant_a, f"vendors/{vendor.public_id}/"),
        {"limit_per_sale": "50", "limit_per_day": "", "is_active": "on"},
    )
    assert ok.status_code == 302
    vendor.refresh_from_db()
    assert vendor.limit_per_sale == 5000 and vendor.limit_per_day is None


def test_the_vendors_open_batch_shows_its_takings_so_far_not_zero(
    sale, cashier, supervisor, login_client, tenant_a
):
    """The $10.00 cash sale is in the till's open batch; its stored total is only written at close."""
    vendor = Vendor.objects.get(user=cashier)
    html = login_client(supervisor).get(url(tenant_a, f"vendors/{vendor.public_id}/")).content.decode()
    assert re.findall(r'data-testid="batch-total">([^<]*)<', html) == ["$10.00"]


def test_cashier_over_the_limit_is_refused_on_the_amount(account, cashier, login_client, tenant_a):
    Vendor.objects.filter(user=cashier).update(limit_per_sale=500)
    response = login_client(cashier).post(
        url(tenant_a, f"accounts/{account.public_id}/pay/cash/confirm/"),
        {"amount": "10", "tendered": "10", "idempotency_key": "web-limit"},
    )
    assert response.status_code == 422 and 'id="id_amount-error"' in response.content.decode()
    assert not Sale.objects.exists()


def test_staff_without_a_till_are_told(alice, login_client, tenant_a):
    response = login_client(alice).get(url(tenant_a, "my-batch/"))
    assert response.status_code == 404 and "not set up as a vendor" in response.content.decode()


def test_a_supervisor_without_a_till_is_pointed_to_vendors_not_told_to_ask_a_supervisor(
    supervisor, login_client, tenant_a
):
    html = login_client(supervisor).get(url(tenant_a, "my-batch/")).content.decode()
    assert "not set up as a vendor" in html and f'href="{url(tenant_a, "vendors/")}"' in html
    assert "ask your Vending Supervisor" not in html


# --- arrears, wallet, deposit ------------------------------------------------------------------------------


def test_supervisor_adds_a_debt_plans_it_and_takes_an_instalment(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    base = url(tenant_a, f"accounts/{account.public_id}/arrears/")
    bad = client.post(base + "debt/", {"amount": "", "reason": "Old bill"})
    assert bad.status_code == 422 and "Enter the debt amount." in bad.content.decode()
    assert (
        client.post(
            base + "debt/", {"amount": "60", "reason": "Old bill", "recovery_percent": "25"}
        ).status_code
        == 302
    )
    debt = ArrearsDebt.objects.get(account=account)
    response = client.post(
        base + "plan/",
        {
            "debt": debt.public_id,
            "instalments": "3",
            "interest_percent": "0",
            "frequency": "monthly",
            "start_date": "2026-12-01",
        },
    )
    assert response.status_code == 302
    plan = RepaymentPlan.objects.get(debt=debt)
    html = client.get(base).content.decode()
    assert "2026-12-01" in html and "$20.00" in html  # the schedule
    response = client.post(base + f"plans/{plan.public_id}/pay/", {"amount": "20", "payment_kind": "cash"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.arrears_balance == 4000


def test_plan_needs_instalments_and_a_date(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    base = url(tenant_a, f"accounts/{account.public_id}/arrears/")
    client.post(base + "debt/", {"amount": "60", "reason": "Old bill"})
    debt = ArrearsDebt.objects.get(account=account)
    response = client.post(base + "plan/", {"debt": debt.public_id, "frequency": "monthly"})
    html = response.content.decode()
    assert (
        response.status_code == 422
        and "Enter the number of instalments" in html
        and "first instalment" in html
    )


def test_wallet_top_up_and_deposit_pay_and_refund(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    base = url(tenant_a, f"accounts/{account.public_id}/")
    assert client.post(base + "wallet/topup/", {"amount": "25", "payment_kind": "cash"}).status_code == 302
    assert (
        client.post(
            base + "deposit/pay/", {"amount": "40", "payment_kind": "card", "note": "Deposit"}
        ).status_code
        == 302
    )
    refused = client.post(
        base + "deposit/refund/", {"amount": "90", "payment_kind": "cash", "note": "Leaving"}
    )
    assert refused.status_code == 422 and "field-error" in refused.content.decode()
    account.refresh_from_db()
    assert (account.wallet_balance, account.deposit_balance) == (2500, 4000)
    assert AccountEntry.objects.filter(account=account).count() == 2


def test_sms_without_a_message_is_a_field_error(account, cashier, login_client, tenant_a):
    response = login_client(cashier).post(url(tenant_a, f"accounts/{account.public_id}/sms/"), {"body": ""})
    assert response.status_code == 422 and "Write the message." in response.content.decode()


def test_looking_at_my_batch_opens_nothing(cashier, login_client, tenant_a):
    html = login_client(cashier).get(url(tenant_a, "my-batch/")).content.decode()
    assert "No open batch" in html and not Batch.objects.exists()
