"""The buyer portal: wallet, transactions, CSV export and the customer switcher."""

from __future__ import annotations

import csv
import io

from juiced.customers.models import CustomerMembership
from juiced.customers.services import customer_create
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole
from juiced.wallets.services import wallet_credit
from juiced.web.access import PORTAL_SESSION_KEY
from tests.conftest import PASSWORD


def test_portal_wallet_shows_balance_held_and_available(funded, buyer, login_client):
    response = login_client(buyer).get("/app/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["wallet"] == funded.wallet
    assert "$100.00" in html and "Opening credit" in html


def test_portal_transactions_hide_which_staff_member_acted(funded, buyer, login_client):
    html = login_client(buyer).get("/app/transactions/").content.decode()
    assert "Opening credit" in html and "alice@acme.test" not in html


def test_portal_htmx_filter_returns_the_partial(funded, buyer, login_client):
    response = login_client(buyer).get(
        "/app/transactions/", {"q": "nothing-like-this"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="transactions"' in html and "Opening credit" not in html


def test_portal_csv_export_has_no_actor_column(funded, buyer, login_client):
    response = login_client(buyer).get("/app/transactions.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["event"], r["amount"], r["description"]) for r in rows] == [
        ("Funds Added By Tenant", "100.00", "Opening credit")
    ]
    assert "actor" not in rows[0]


def test_a_user_of_two_customers_switches_between_them(funded, buyer, alice, login_client):
    second = customer_create(
        tenant=funded.tenant, actor=alice, data={"name": "Beta Agency", "email": "b@b.test"}
    )
    wallet_credit(wallet=second.wallet, amount=700, description="Beta credit", actor=alice)
    CustomerMembership.objects.create(customer=second, user=buyer, role=CustomerRole.CUSTOMER_USER)
    client = login_client(buyer)
    first_page = client.get("/app/")
    assert 'name="customer"' in first_page.content.decode()  # the switcher appears for two customers
    response = client.post("/app/switch", {"customer": second.public_id})
    assert response.status_code == 302 and response["Location"] == "/app/"
    page = client.get("/app/")
    assert page.context["wallet"] == second.wallet
    assert "Beta credit" in page.content.decode() and "Opening credit" not in page.content.decode()


def test_switching_to_a_customer_one_does_not_belong_to_is_404(funded, buyer, bolt_customer, login_client):
    client = login_client(buyer)
    client.get("/app/")
    for foreign in (bolt_customer.public_id, "cus_nonsense", ""):
        assert client.post("/app/switch", {"customer": foreign}).status_code == 404
    assert client.session[PORTAL_SESSION_KEY] == funded.public_id
    assert client.get("/app/").context["wallet"] == funded.wallet


def test_another_customers_user_never_sees_this_wallet(funded, bolt_customer, login_client):
    bolt_user = User.objects.create_user(email="roofer@bolt.test", password=PASSWORD)
    CustomerMembership.objects.create(
        customer=bolt_customer, user=bolt_user, role=CustomerRole.CUSTOMER_ADMIN
    )
    client = login_client(bolt_user)
    # A stale or forged session pointing at another customer falls back to the user's own customer.
    session = client.session
    session[PORTAL_SESSION_KEY] = funded.public_id
    session.save()
    page = client.get("/app/")
    assert page.context["wallet"] == bolt_customer.wallet
    assert "Opening credit" not in client.get("/app/transactions/").content.decode()
    assert "Opening credit" not in client.get("/app/transactions.csv").content.decode()


def test_staff_without_a_customer_get_404_in_the_portal(alice, login_client):
    assert login_client(alice).get("/app/").status_code == 404
    assert login_client(alice).get("/app/transactions.csv").status_code == 404
