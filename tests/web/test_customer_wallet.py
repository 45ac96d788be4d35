"""Funds (Add funds, Remove funds and Timeline, reached from the Overview) and the Transactions tab: filters,
htmx partial and CSV export."""

from __future__ import annotations

import csv
import io

from juiced.wallets.models import Transaction, TransactionEvent
from juiced.wallets.services import wallet_credit
from tests.web.conftest import customer_url


def add(client, customer, amount="25.00", description="Welcome credit", key="key-1", **extra):
    data = {"add-amount": amount, "add-description": description, "add-idempotency_key": key}
    data |= {f"add-{k}": v for k, v in extra.items()}
    return client.post(customer_url(customer, "wallet/add/"), data)


def remove(client, customer, amount="10", description="Correction", key="key-2"):
    data = {"remove-amount": amount, "remove-description": description, "remove-idempotency_key": key}
    return client.post(customer_url(customer, "wallet/remove/"), data)


def balance(customer) -> int:
    customer.wallet.refresh_from_db()
    return customer.wallet.balance


def test_adding_funds_credits_the_wallet_and_shows_in_the_timeline(acme_customer, alice, login_client):
    client = login_client(alice)
    response = add(client, acme_customer, receipt_url="https://receipts.test/1")
    assert response.status_code == 302 and response["Location"] == customer_url(acme_customer, "funds/")
    assert balance(acme_customer) == 2500
    page = client.get(customer_url(acme_customer, "funds/"))
    html = page.content.decode()
    assert "Added $25.00." in html
    timeline = list(page.context["timeline"])
    assert [(t.event, t.amount, t.description, t.actor) for t in timeline] == [
        (TransactionEvent.FUNDS_ADDED_BY_TENANT, 2500, "Welcome credit", alice)
    ]
    assert "https://receipts.test/1" in html


def test_a_double_submitted_add_funds_form_credits_once(acme_customer, alice, login_client):
    client = login_client(alice)
    add(client, acme_customer, key="same-form")
    second = add(client, acme_customer, key="same-form")
    assert second.status_code == 302
    assert balance(acme_customer) == 2500
    assert Transaction.objects.filter(wallet=acme_customer.wallet).count() == 1
    assert "already recorded" in client.get(second["Location"]).content.decode()


def test_each_rendered_form_carries_a_fresh_idempotency_key(acme_customer, alice, login_client):
    client = login_client(alice)
    first = client.get(customer_url(acme_customer, "funds/")).context["add_form"]["idempotency_key"].value()
    second = client.get(customer_url(acme_customer, "funds/")).context["add_form"]["idempotency_key"].value()
    assert first and second and first != second


def test_add_funds_below_one_dollar_is_refused_next_to_the_amount(acme_customer, alice, login_client):
    response = add(login_client(alice), acme_customer, amount="0.50", description="Tiny")
    assert response.status_code == 422
    assert response.context["add_form"].errors["amount"] == ["Amount must be at least $1.00."]
    assert 'value="Tiny"' in response.content.decode()
    assert balance(acme_customer) == 0


def test_add_funds_needs_a_description_and_a_number(acme_customer, alice, login_client):
    client = login_client(alice)
    no_description = add(client, acme_customer, description="")
    assert no_description.context["add_form"].errors["description"] == [
        "A description is required; the customer sees it."
    ]
    not_a_number = add(client, acme_customer, amount="lots", description="Keep me")
    assert not_a_number.context["add_form"].errors["amount"] == ["Enter an amount such as 25 or 25.50."]
    assert (
        'value="lots"' in not_a_number.content.decode() and 'value="Keep me"' in not_a_number.content.decode()
    )
    assert balance(acme_customer) == 0


def test_removing_funds_debits_the_wallet(funded, alice, login_client):
    response = remove(login_client(alice), funded, amount="40.00")
    assert response.status_code == 302
    assert balance(funded) == 6000
    assert funded.wallet.transactions.filter(event=TransactionEvent.FUNDS_SUBTRACTED_BY_TENANT).exists()


def test_removing_more_than_available_is_refused_and_changes_nothing(funded, alice, login_client):
    response = remove(login_client(alice), funded, amount="100.01")
    assert response.status_code == 422
    assert response.context["remove_form"].errors["amount"] == ["Exceeds the available balance."]
    assert balance(funded) == 100_00
    assert Transaction.objects.filter(wallet=funded.wallet).count() == 1


def test_transactions_filter_by_event_and_search(funded, alice, login_client):
    wallet_credit(wallet=funded.wallet, amount=500, description="Promo five", actor=alice)
    client = login_client(alice)
    url = customer_url(funded, "transactions/")
    by_search = client.get(url, {"q": "promo"}).context["page"].object_list
    assert [t.description for t in by_search] == ["Promo five"]
    none = client.get(url, {"event": TransactionEvent.LEAD_ASSIGNED}).context["page"].object_list
    assert list(none) == []


def test_transactions_filter_by_date_range_includes_the_end_day(funded, alice, login_client):
    today = funded.wallet.transactions.get().created_at.date().isoformat()
    client = login_client(alice)
    url = customer_url(funded, "transactions/")
    assert len(client.get(url, {"since": today, "until": today}).context["page"].object_list) == 1
    assert len(client.get(url, {"since": "2999-01-01"}).context["page"].object_list) == 0


def test_htmx_filter_returns_only_the_transactions_partial(funded, alice, login_client):
    response = login_client(alice).get(
        customer_url(funded, "transactions/"), {"q": "Opening"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="transactions"' in html and "Opening credit" in html
    assert "Add funds" not in html


def test_csv_export_lists_the_filtered_transactions(funded, alice, login_client):
    wallet_credit(wallet=funded.wallet, amount=500, description="=HYPERLINK(evil)", actor=alice)
    client = login_client(alice)
    response = client.get(customer_url(funded, "transactions.csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["event"], r["amount"], r["balance_after"], r["description"], r["actor"]) for r in rows] == [
        ("Funds Added By Tenant", "5.00", "105.00", "'=HYPERLINK(evil)", "alice@acme.test"),
        ("Funds Added By Tenant", "100.00", "100.00", "Opening credit", "alice@acme.test"),
    ]
    filtered = client.get(customer_url(funded, "transactions.csv"), {"q": "Opening"})
    assert len(list(csv.DictReader(io.StringIO(filtered.content.decode())))) == 1
