"""Dashboard customer pages: list with search/filters/sort/htmx, create and edit forms, status actions,
toggles and the history."""

from __future__ import annotations

from juiced.core.models import AuditEntry
from juiced.customers.models import Customer, CustomerMembership
from juiced.customers.services import customer_archive, customer_create
from juiced.tenants.models import User
from juiced.tenants.roles import CustomerRole
from tests.conftest import PASSWORD
from tests.web.conftest import customer_url

LIST = "/manage/acme-leads/customers/"


def names_in(response) -> list[str]:
    return [customer.name for customer, _statuses in response.context["rows"]]


def test_list_shows_display_status_and_available_balance(funded, alice, login_client):
    response = login_client(alice).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Insurance" in html and "$100.00" in html and ">Active<" in html


def test_list_search_finds_a_customer_by_its_linked_users_email_or_name(
    acme_customer, buyer, alice, login_client
):
    customer_create(tenant=acme_customer.tenant, actor=alice, data={"name": "Other Co", "email": "o@o.test"})
    client = login_client(alice)
    assert names_in(client.get(LIST, {"q": "buyer@acmeins"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"q": "Betty"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"q": "o@o.test"})) == ["Other Co"]


def test_list_hides_archived_customers_unless_asked(acme_customer, alice, login_client):
    customer_archive(customer=acme_customer, actor=alice)
    client = login_client(alice)
    assert names_in(client.get(LIST)) == []
    assert names_in(client.get(LIST, {"archived": "only"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"operational": "archived"})) == ["Acme Insurance"]


def test_list_filters_by_funding(funded, alice, login_client):
    customer_create(tenant=funded.tenant, actor=alice, data={"name": "Empty Co", "email": "e@e.test"})
    client = login_client(alice)
    assert names_in(client.get(LIST, {"funding": "available"})) == ["Acme Insurance"]
    assert names_in(client.get(LIST, {"funding": "exhausted"})) == ["Empty Co"]


def test_list_sorts_by_a_column_and_paginates_by_25(tenant_a, alice, login_client):
    for i in range(30):
        customer_create(
            tenant=tenant_a, actor=alice, data={"name": f"Buyer {i:02d}", "email": f"b{i}@b.test"}
        )
    client = login_client(alice)
    first = client.get(LIST, {"sort": "-name"})
    assert names_in(first)[0] == "Buyer 29" and len(names_in(first)) == 25
    second = client.get(LIST, {"sort": "-name", "page": 2})
    assert names_in(second) == [f"Buyer {i:02d}" for i in range(4, -1, -1)]


def test_htmx_search_returns_only_the_table_partial(acme_customer, alice, login_client):
    response = login_client(alice).get(LIST, {"q": "Acme"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="customer-table"' in html and "Acme Insurance" in html
    assert "HX-Request" in response["Vary"]


def test_full_page_includes_the_same_table_partial(acme_customer, alice, login_client):
    html = login_client(alice).get(LIST).content.decode()
    assert "<html" in html and 'id="customer-table"' in html and 'hx-push-url="true"' in html


def test_create_customer_with_budgets_typed_in_dollars(tenant_a, alice, login_client):
    data = {
        "name": "New Buyer",
        "email": "New@Buyer.test",
        "daily_budget": "250.00",
        "weekly_cap": "40",
        "can_access_bidding": "on",
    }
    response = login_client(alice).post(LIST + "new/", data)
    customer = Customer.objects.get(name="New Buyer")
    assert response.status_code == 302 and response["Location"] == customer_url(customer)
    assert (
        customer.daily_budget == 250_00 and customer.weekly_cap == 40 and customer.email == "new@buyer.test"
    )
    assert customer.can_access_bidding and not customer.is_onboarded
    assert customer.wallet.balance == 0


def test_create_form_shows_field_errors_and_keeps_what_was_typed(tenant_a, alice, login_client):
    data = {"name": "", "email": "not-an-email", "phone": "555-0100", "daily_budget": "12.345"}
    response = login_client(alice).post(LIST + "new/", data)
    html = response.content.decode()
    assert response.status_code == 422
    assert response.context["form"].errors["name"] == ["This field is required."]
    assert response.context["form"].errors["email"] == ["Enter a valid e-mail address."]
    assert response.context["form"].errors["daily_budget"] == ["Use at most two decimal places."]
    assert 'value="555-0100"' in html and 'value="not-an-email"' in html and 'value="12.345"' in html
    assert not Customer.objects.exists()


def test_edit_form_starts_with_budgets_in_dollars_and_records_old_and_new(acme_customer, alice, login_client):
    client = login_client(alice)
    acme_customer.daily_budget = 12_500
    acme_customer.save()
    page = client.get(customer_url(acme_customer, "edit/")).content.decode()
    assert 'value="125.00"' in page
    data = {
        "name": "Acme Insurance Group",
        "email": "ops@acmeins.test",
        "daily_budget": "125.00",
        "can_access_bidding": "on",  # an unticked checkbox means off
    }
    response = client.post(customer_url(acme_customer, "edit/"), data)
    assert response.status_code == 302
    acme_customer.refresh_from_db()
    assert acme_customer.name == "Acme Insurance Group" and acme_customer.daily_budget == 12_500
    entry = AuditEntry.objects.filter(customer=acme_customer, action="customer.updated").get()
    assert entry.changes == {"name": ["Acme Insurance", "Acme Insurance Group"]}
    history = client.get(customer_url(acme_customer)).content.decode()
    assert "Acme Insurance → Acme Insurance Group" in history and "alice@acme.test" in history


def test_edit_with_an_invalid_email_changes_nothing(acme_customer, alice, login_client):
    response = login_client(alice).post(customer_url(acme_customer, "edit/"), {"name": "Z", "email": "bad"})
    assert response.status_code == 422
    assert 'value="Z"' in response.content.decode()
    acme_customer.refresh_from_db()
    assert acme_customer.name == "Acme Insurance"


def test_overview_shows_the_four_stats_and_five_statuses(acme_customer, alice, login_client):
    response = login_client(alice).get(customer_url(acme_customer))
    html = response.content.decode()
    for label in ("Revenue", "Wallet available", "Active bids", "Return rate", "0.00%"):
        assert label in html
    statuses = response.context["statuses"]
    assert (statuses.display, statuses.operational, statuses.funding, statuses.cap, statuses.budget) == (
        "Inactive",
        "Active",
        "Exhausted",
        "Unlimited",
        "Unlimited",
    )


def test_pause_unpause_archive_restore_through_the_buttons(acme_customer, alice, login_client):
    client = login_client(alice)
    for action, check in [
        ("pause/", lambda c: c.is_paused),
        ("unpause/", lambda c: not c.is_paused),
        ("archive/", lambda c: c.is_archived),
        ("restore/", lambda c: not c.is_archived),
    ]:
        response = client.post(customer_url(acme_customer, action))
        assert response.status_code == 302 and response["Location"] == customer_url(acme_customer)
        acme_customer.refresh_from_db()
        assert check(acme_customer), action
    actions = list(AuditEntry.objects.filter(customer=acme_customer).values_list("action", flat=True))
    assert actions[:4] == ["customer.restored", "customer.archived", "customer.unpaused", "customer.paused"]


def test_an_impossible_status_action_shows_the_reason_and_changes_nothing(acme_customer, alice, login_client):
    response = login_client(alice).post(customer_url(acme_customer, "unpause/"), follow=True)
    assert "This customer is not paused." in response.content.decode()
    acme_customer.refresh_from_db()
    assert not acme_customer.is_paused


def test_status_actions_refuse_get(acme_customer, alice, login_client):
    assert login_client(alice).get(customer_url(acme_customer, "archive/")).status_code == 405
    acme_customer.refresh_from_db()
    assert not acme_customer.is_archived


def test_toggles_switch_on_and_off(acme_customer, alice, login_client):
    client = login_client(alice)
    client.post(customer_url(acme_customer, "toggles/is_onboarded/"), {"value": "on"})
    client.post(customer_url(acme_customer, "toggles/can_access_bidding/"), {"value": "off"})
    acme_customer.refresh_from_db()
    assert acme_customer.is_onboarded and not acme_customer.can_access_bidding


def test_an_unknown_toggle_is_not_found(acme_customer, alice, login_client):
    response = login_client(alice).post(customer_url(acme_customer, "toggles/name/"), {"value": "on"})
    assert response.status_code == 404


def test_users_tab_lists_linked_users_and_detach_removes_access(acme_customer, buyer, alice, login_client):
    client = login_client(alice)
    assert "buyer@acmeins.test" in client.get(customer_url(acme_customer, "users/")).content.decode()
    response = client.post(customer_url(acme_customer, f"users/{buyer.public_id}/detach/"))
    assert response.status_code == 302
    assert not CustomerMembership.objects.filter(customer=acme_customer).exists()


def test_detaching_a_user_of_another_customer_is_404(acme_customer, bolt_customer, alice, login_client):
    stranger = User.objects.create_user(email="s@bolt.test", password=PASSWORD)
    CustomerMembership.objects.create(customer=bolt_customer, user=stranger, role=CustomerRole.CUSTOMER_USER)
    response = login_client(alice).post(customer_url(acme_customer, f"users/{stranger.public_id}/detach/"))
    assert response.status_code == 404
    assert CustomerMembership.objects.filter(user=stranger).exists()
