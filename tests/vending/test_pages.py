"""The vending pages through Django's test client: who sees what, search, the account level view and its
tabs, manage screens, and tenant isolation (another tenant's record is a 404 on every URL).

Quick Pay, receipts, reversals and batches are in test_pages_sales.py.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile

from juiced.tenants.roles import StaffRole
from juiced.vending.models import (
    AccountDocument,
    AccountEvent,
    AccountNote,
    AccountStatus,
    ArrearsDebt,
    Batch,
    MasterAccount,
    Pocket,
    RepaymentPlan,
    Sale,
    Vendor,
)

pytestmark = pytest.mark.django_db


def url(tenant, path: str = "") -> str:
    return f"/manage/{tenant.slug}/vending/{path}"


@pytest.fixture
def account(tenant_a, make_account):
    return make_account(tenant_a, phone="+15555550111")


@pytest.fixture
def support(make_staff):
    return make_staff(StaffRole.CUSTOMER_SUPPORT)


# --- landing, nav ---------------------------------------------------------------------------------------


def test_cashier_lands_on_vending_and_sees_no_marketplace_nav(cashier, login_client, tenant_a):
    client = login_client(cashier)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == url(tenant_a)
    html = response.content.decode()
    assert f'href="/manage/{tenant_a.slug}/vending/"' in html
    for marketplace in ("/customers/", "/leads/", "/submissions/", "/team/"):
        assert f'href="/manage/{tenant_a.slug}{marketplace}"' not in html


def test_supervisor_lands_on_vending_home(supervisor, login_client, tenant_a):
    response = login_client(supervisor).get("/")
    assert response.status_code == 302 and response["Location"] == url(tenant_a)


def test_admin_keeps_marketplace_nav_and_gets_a_vending_link(alice, login_client, tenant_a):
    html = login_client(alice).get(f"/manage/{tenant_a.slug}/customers/").content.decode()
    assert f'href="/manage/{tenant_a.slug}/customers/"' in html
    assert f'href="/manage/{tenant_a.slug}/vending/"' in html


def test_sales_role_has_no_vending_link_and_no_vending_pages(make_staff, login_client, tenant_a):
    client = login_client(make_staff(StaffRole.SALES))
    assert (
        f'href="/manage/{tenant_a.slug}/vending/"'
        not in client.get(f"/manage/{tenant_a.slug}/customers/").content.decode()
    )
    assert client.get(url(tenant_a)).status_code == 403


# --- search ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["number", "customer", "phone", "loc_id", "serial"])
def test_search_with_one_match_goes_straight_to_the_account(field, account, cashier, login_client, tenant_a):
    q = {
        "number": account.number,
        "customer": account.customer.name,
        "phone": account.customer.phone,
        "loc_id": account.location.loc_id,
        "serial": account.meter.serial_number,
    }[field]
    response = login_client(cashier).get(url(tenant_a, "search/"), {"q": q})
    assert response.status_code == 302
    assert response["Location"] == url(tenant_a, f"accounts/{account.public_id}/")


def test_search_with_several_matches_lists_them(tenant_a, make_account, cashier, login_client):
    first, second = make_account(tenant_a, phone="+15555550199"), make_account(tenant_a, phone="+15555550199")
    response = login_client(cashier).get(url(tenant_a, "search/"), {"q": "+15555550199"})
    assert response.status_code == 200
    html = response.content.decode()
    assert first.number in html and second.number in html


def test_search_never_finds_another_tenants_account(tenant_b, make_account, cashier, login_client, tenant_a):
    theirs = make_account(tenant_b)
    response = login_client(cashier).get(url(tenant_a, "search/"), {"q": theirs.number})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No account matches" in html and f"/accounts/{theirs.public_id}/" not in html


def test_every_vending_page_has_the_search_box(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    for path in ("", "accounts/", f"accounts/{account.public_id}/", "meters/", "my-batch/"):
        html = client.get(url(tenant_a, path)).content.decode()
        assert 'action="/manage/acme-leads/vending/search/"' in html, path


# --- the account level view ----------------------------------------------------------------------------


def test_admin_sees_the_seven_parts_of_the_account(account, alice, login_client, tenant_a):
    master = MasterAccount.objects.create(tenant=tenant_a, name="Estate block B")
    account.master = master
    account.save()
    html = login_client(alice).get(url(tenant_a, f"accounts/{account.public_id}/")).content.decode()
    assert f"/vending/masters/{master.public_id}/" in html  # 1 Master Account button
    for label in ("Cash", "Card", "Cheque", "Mobile money", "Wallet", "Free issue"):  # 2 Quick Pay
        assert f"/pay/{label.lower().replace(' ', '_') if label != 'Free issue' else 'free_issue'}/" in html
    assert account.customer.name in html and f"mailto:{account.customer.email}" in html  # 3 Customer
    assert f"/vending/locations/{account.location.public_id}/" in html  # 4 Location (Loc icon)
    assert f"/vending/meters/{account.meter.public_id}/" in html and "Enabled" in html  # 5 Meter
    assert "Tariff: " in html and "/calculator/" in html  # 6 Tariff overview + calculator
    for tab in (
        "Vend history",
        "Money transactions",
        "Wallet",
        "Deposit",
        "Arrears and plans",
        "Documents",
        "Notes",
        "Audit",
    ):  # 7 Account tabs
        assert f">{tab}</a>" in html
    assert f"{account.public_id}/cart/" in html  # the shopping cart = Cash


def test_cashier_sees_quick_pay_without_free_issue_and_only_overview_and_vends(
    account, cashier, login_client, tenant_a
):
    client = login_client(cashier)
    html = client.get(url(tenant_a, f"accounts/{account.public_id}/")).content.decode()
    assert "/pay/cash/" in html and "/pay/wallet/" in html
    assert "/pay/free_issue/" not in html
    assert ">Vend history</a>" in html
    assert ">Audit</a>" not in html and ">Money transactions</a>" not in html
    assert "Vending settings" not in html and "Deactivate" not in html  # glance cards read-only
    for tab in ("money", "wallet", "deposit", "arrears", "documents", "notes", "audit"):
        assert client.get(url(tenant_a, f"accounts/{account.public_id}/{tab}/")).status_code == 403, tab
    assert client.get(url(tenant_a, f"accounts/{account.public_id}/vends/")).status_code == 200


def test_customer_support_sees_the_account_but_cannot_sell(account, support, login_client, tenant_a):
    client = login_client(support)
    html = client.get(url(tenant_a, f"accounts/{account.public_id}/")).content.decode()
    assert "Quick Pay" not in html and "/cart/" not in html
    assert client.get(url(tenant_a, f"accounts/{account.public_id}/pay/cash/")).status_code == 403


def test_inactive_account_shows_no_sale_buttons(tenant_a, make_account, cashier, login_client):
    account = make_account(tenant_a, status=AccountStatus.INACTIVE)
    html = login_client(cashier).get(url(tenant_a, f"accounts/{account.public_id}/")).content.decode()
    assert "/pay/cash/" not in html and "nothing can be sold until it is active" in html


def test_disabled_meter_is_flagged_on_the_account(tenant_a, make_account, make_meter, cashier, login_client):
    account = make_account(tenant_a, meter=make_meter(tenant_a, vending_enabled=False))
    html = login_client(cashier).get(url(tenant_a, f"accounts/{account.public_id}/")).content.decode()
    assert "Vending is disabled on meter" in html and "Disabled" in html


def test_account_can_be_opened_by_its_number(account, cashier, login_client, tenant_a):
    response = login_client(cashier).get(url(tenant_a, f"accounts/{account.number}/"))
    assert response.status_code == 200 and f"Account {account.number}" in response.content.decode()


def test_calculator_answers_htmx_with_the_breakdown(account, cashier, login_client, tenant_a):
    response = login_client(cashier).get(
        url(tenant_a, f"accounts/{account.public_id}/calculator/"),
        {"amount": "20.00"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="calculator-result"' in html and "<html" not in html
    assert "$20.00 buys 100.0 kWh today." in html  # flat 20 ¢/kWh, no charges


def test_calculator_shows_the_amount_error(account, cashier, login_client, tenant_a):
    html = (
        login_client(cashier)
        .get(
            url(tenant_a, f"accounts/{account.public_id}/calculator/"),
            {"amount": "abc"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert "field-error" in html and "Enter an amount such as" in html


# --- account actions ---------------------------------------------------------------------------------


def test_deactivate_needs_a_note_and_keeps_the_account_active(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    response = client.post(url(tenant_a, f"accounts/{account.public_id}/deactivate/"), {"note": ""})
    assert response.status_code == 422 and "Say why the account is deactivated." in response.content.decode()
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    response = client.post(url(tenant_a, f"accounts/{account.public_id}/deactivate/"), {"note": "Moved out"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == AccountStatus.INACTIVE
    assert AccountNote.objects.filter(account=account, body="Moved out").exists()


def test_cashier_cannot_deactivate(account, cashier, login_client, tenant_a):
    response = login_client(cashier).post(
        url(tenant_a, f"accounts/{account.public_id}/deactivate/"), {"note": "x"}
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE


def test_settings_form_shows_field_errors_and_keeps_input(account, supervisor, login_client, tenant_a):
    response = login_client(supervisor).post(
        url(tenant_a, f"accounts/{account.public_id}/settings/"),
        {"tariff": account.tariff.public_id, "arrears_recovery_percent": "250", "minimum_purchase": "5.00"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "between 0 and 100" in html and 'value="250"' in html and 'value="5.00"' in html


def test_note_is_added_and_an_empty_note_is_refused(account, supervisor, login_client, tenant_a):
    client = login_client(supervisor)
    response = client.post(url(tenant_a, f"accounts/{account.public_id}/notes/add/"), {"body": "  "})
    assert response.status_code == 422 and "Write the note." in response.content.decode()
    assert not AccountNote.objects.filter(account=account).exists()
    client.post(url(tenant_a, f"accounts/{account.public_id}/notes/add/"), {"body": "Called about a fault"})
    html = client.get(url(tenant_a, f"accounts/{account.public_id}/notes/")).content.decode()
    assert "Called about a fault" in html


def test_document_upload_is_stored_under_media_root_and_downloads(
    account, supervisor, login_client, tenant_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = login_client(supervisor)
    upload = ContentFile(b"signed contract", name="contract.txt")
    response = client.post(
        url(tenant_a, f"accounts/{account.public_id}/documents/upload/"), {"file": upload, "name": "Contract"}
    )
    assert response.status_code == 302
    document = AccountDocument.objects.get(account=account)
    assert (tmp_path / document.file.name).read_bytes() == b"signed contract"
    download = client.get(url(tenant_a, f"accounts/{account.public_id}/documents/{document.public_id}/"))
    assert b"".join(download.streaming_content) == b"signed contract"
    assert AccountEvent.objects.filter(account=account, action="document_uploaded").exists()


def test_document_upload_without_a_file_shows_the_error(account, supervisor, login_client, tenant_a):
    response = login_client(supervisor).post(
        url(tenant_a, f"accounts/{account.public_id}/documents/upload/"), {}
    )
    assert response.status_code == 422 and "Choose a file to upload." in response.content.decode()


def test_customer_edit_shows_field_errors_and_keeps_input(account, supervisor, login_client, tenant_a):
    customer = account.customer
    response = login_client(supervisor).post(
        url(tenant_a, f"customers/{customer.public_id}/"),
        {"name": "Renamed Household", "email": "not-an-email", "phone": customer.phone},
    )
    html = response.content.decode()
    assert response.status_code == 422 and 'value="Renamed Household"' in html and "field-error" in html
    customer.refresh_from_db()
    assert customer.name != "Renamed Household"


def test_customer_edit_saves_and_cashier_sees_it_read_only(
    account, supervisor, cashier, login_client, tenant_a
):
    customer_url = url(tenant_a, f"customers/{account.customer.public_id}/")
    response = login_client(supervisor).post(
        customer_url, {"name": "Wanjiru Household", "phone": "+254700000001", "discount_percent": "5"}
    )
    assert response.status_code == 302
    account.customer.refresh_from_db()
    assert account.customer.name == "Wanjiru Household" and account.customer.discount_bp == 500
    cashier_client = login_client(cashier)
    assert "Read only" in cashier_client.get(customer_url).content.decode()
    assert cashier_client.post(customer_url, {"name": "Nope"}).status_code == 403


# --- meters: management tokens and decode ------------------------------------------------------------


def test_support_issues_a_management_token_and_decodes_it(account, support, login_client, tenant_a):
    client = login_client(support)
    meter_url = url(tenant_a, f"meters/{account.meter.public_id}/")
    response = client.post(
        meter_url + "tokens/", {"token_type": "ADD_TIME", "value": "50", "reason": "Fault"}
    )
    assert response.status_code == 200
    token = account.meter.tokens.get()
    assert token.reason == "Fault"
    response = client.post(meter_url + "decode/", {"token": token.token})
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="decoded"' in html and token.public_id in html


def test_decoding_a_reversed_sales_token_shows_it_is_void_and_links_the_sale(
    account, cashier, supervisor, support, login_client, tenant_a
):
    """A customer reads out the token of a sale that was reversed: support must see it carries no credit."""
    from juiced.core.tenancy import staff_access_for_tenant
    from juiced.vending.sales import quick_pay, sale_reverse

    sale, _ = quick_pay(
        access=staff_access_for_tenant(cashier, tenant_a), account=account, amount=1_000, payment_kind="cash"
    )
    token = sale.tokens.get()
    client = login_client(support)
    meter_url = url(tenant_a, f"meters/{account.meter.public_id}/")
    decoded = client.post(meter_url + "decode/", {"token": token.token}).content.decode()
    decoded = decoded.split('data-testid="decoded"')[1].split("</dl>")[0]
    assert "<dd>Add credit</dd>" in decoded and 'data-testid="decoded-status">issued<' in decoded
    assert f'href="{url(tenant_a, f"sales/{sale.public_id}/")}"' in decoded
    sale_reverse(access=staff_access_for_tenant(supervisor, tenant_a), sale=sale, reason="Wrong account")
    decoded = client.post(meter_url + "decode/", {"token": token.token}).content.decode()
    decoded = decoded.split('data-testid="decoded"')[1].split("</dl>")[0]
    assert 'data-testid="decoded-status">void<' in decoded and "its sale was reversed" in decoded


def test_management_token_needs_a_reason(account, support, login_client, tenant_a):
    response = login_client(support).post(
        url(tenant_a, f"meters/{account.meter.public_id}/tokens/"),
        {"token_type": "DISABLE_PAYG", "reason": ""},
    )
    assert response.status_code == 422 and "A reason is required" in response.content.decode()
    assert not account.meter.tokens.exists()


def test_cashier_cannot_issue_tokens_or_decode(account, cashier, login_client, tenant_a):
    client = login_client(cashier)
    meter_url = url(tenant_a, f"meters/{account.meter.public_id}/")
    html = client.get(meter_url).content.decode()
    assert "Management token" not in html and "Decode a token" not in html
    assert (
        client.post(meter_url + "tokens/", {"token_type": "DISABLE_PAYG", "reason": "x"}).status_code == 403
    )
    assert client.post(meter_url + "decode/", {"token": "123456789"}).status_code == 403


# --- tariffs, masters, account creation --------------------------------------------------------------


def test_admin_adds_a_tariff_version_supervisor_only_reads(
    account, alice, supervisor, login_client, tenant_a
):
    tariff_url = url(tenant_a, f"tariffs/{account.tariff.public_id}/")
    supervisor_client = login_client(supervisor)
    assert "Add a version" not in supervisor_client.get(tariff_url).content.decode()
    assert supervisor_client.post(tariff_url, {"kind": "flat", "flat_rate": "30"}).status_code == 403
    response = login_client(alice).post(
        tariff_url, {"kind": "flat", "flat_rate": "30", "note": "2027 prices"}
    )
    assert response.status_code == 302
    account.tariff.refresh_from_db()
    assert account.tariff.current_version.number == 2 and account.tariff.current_version.flat_rate == 30_000


def test_tariff_version_errors_are_shown(account, alice, login_client, tenant_a):
    response = login_client(alice).post(
        url(tenant_a, f"tariffs/{account.tariff.public_id}/"), {"kind": "flat", "flat_rate": "abc"}
    )
    assert response.status_code == 422 and "is not a rate in cents per kWh" in response.content.decode()


def test_master_synchronize_previews_then_applies_and_records_history(
    tenant_a, make_account, make_tariff, supervisor, login_client
):
    new_tariff = make_tariff(tenant_a, name="Estate 2027")
    master = MasterAccount.objects.create(
        tenant=tenant_a, name="Estate", tariff=new_tariff, arrears_recovery_bp=1000
    )
    linked = [make_account(tenant_a, master=master) for _ in range(2)]
    client = login_client(supervisor)
    sync_url = url(tenant_a, f"masters/{master.public_id}/sync/")
    preview = client.post(sync_url, {"sync_fields": ["tariff"], "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200 and "Estate 2027" in html and linked[0].number in html
    for account in linked:
        account.refresh_from_db()
        assert account.tariff_id != new_tariff.pk  # the preview changes nothing
    applied = client.post(sync_url, {"sync_fields": ["tariff"], "apply": "1"})
    assert applied.status_code == 302
    for account in linked:
        account.refresh_from_db()
        assert account.tariff_id == new_tariff.pk and account.arrears_recovery_bp == 0  # only chosen fields
        assert AccountEvent.objects.filter(account=account, action="synchronized").exists()


def test_synchronize_preview_and_audit_show_percent_and_money_not_raw_units(
    tenant_a, make_account, supervisor, login_client
):
    master = MasterAccount.objects.create(
        tenant=tenant_a, name="Estate", arrears_recovery_bp=1250, minimum_purchase=500
    )
    account = make_account(tenant_a, master=master)
    client = login_client(supervisor)
    sync_url = url(tenant_a, f"masters/{master.public_id}/sync/")
    fields = {"sync_fields": ["arrears_recovery_bp", "minimum_purchase"]}
    html = client.post(sync_url, {**fields, "preview": "1"}).content.decode()
    assert "Arrears recovery: 0% → 12.5%" in html and "Minimum purchase: — → $5.00" in html
    assert "arrears_recovery_bp" not in html.split('aria-label="Synchronize preview"')[1].split("</table>")[0]
    assert "1250" not in html
    assert client.post(sync_url, {**fields, "apply": "1"}).status_code == 302
    audit = client.get(url(tenant_a, f"accounts/{account.public_id}/audit/")).content.decode()
    assert "Arrears recovery: 0% → 12.5%" in audit and "Minimum purchase: — → $5.00" in audit


def test_synchronize_apply_pushes_exactly_the_previewed_fields(
    tenant_a, make_account, make_tariff, supervisor, login_client
):
    master = MasterAccount.objects.create(
        tenant=tenant_a, name="Estate", tariff=make_tariff(tenant_a), arrears_recovery_bp=1000
    )
    account = make_account(tenant_a, master=master)
    client = login_client(supervisor)
    sync_url = url(tenant_a, f"masters/{master.public_id}/sync/")
    html = client.post(sync_url, {"sync_fields": ["arrears_recovery_bp"], "preview": "1"}).content.decode()
    apply_form = html.split('aria-label="Synchronize preview"')[1].split("</form>")[0]
    hidden = re.findall(r'<input type="hidden" name="sync_fields" value="(\w+)">', apply_form)
    assert hidden == ["arrears_recovery_bp"] and "Apply arrears recovery to linked accounts" in apply_form
    checkbox_form = html.split('id="control"')[1].split("</form>")[0]
    assert 'name="apply"' not in checkbox_form  # ticking more boxes cannot apply what was not previewed
    response = client.post(sync_url, {"sync_fields": hidden, "apply": "1"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.arrears_recovery_bp == 1000 and account.tariff_id != master.tariff_id


def test_synchronize_checkboxes_each_have_their_own_label(tenant_a, supervisor, login_client):
    """The field list is a fieldset: no label wraps the other checkboxes (their names stayed merged)."""
    master = MasterAccount.objects.create(tenant=tenant_a, name="Estate")
    html = login_client(supervisor).get(url(tenant_a, f"masters/{master.public_id}/")).content.decode()
    control = html.split('id="control"')[1].split("</form>")[0]
    assert "<legend>Fields to synchronize</legend>" in control
    labels = re.findall(r"<label>(.*?)</label>", control, flags=re.S)
    assert [re.sub(r"<[^>]+>", "", label).strip() for label in labels] == [
        "Tariff",
        "Arrears recovery (%)",
        "Minimum purchase",
        "Maximum purchase",
    ]
    assert all(label.count("<input") == 1 for label in labels)


def test_master_synchronize_needs_a_field(tenant_a, supervisor, login_client):
    master = MasterAccount.objects.create(tenant=tenant_a, name="Estate")
    response = login_client(supervisor).post(
        url(tenant_a, f"masters/{master.public_id}/sync/"), {"preview": "1"}
    )
    assert response.status_code == 422 and "Choose at least one field" in response.content.decode()


def test_supervisor_creates_an_account_with_a_new_customer(
    tenant_a, make_meter, make_tariff, supervisor, login_client
):
    from juiced.vending.models import Account, Location

    location = Location.objects.create(tenant=tenant_a, loc_id="LOC-NEW", address_1="1 New Road")
    meter, tariff = make_meter(tenant_a), make_tariff(tenant_a)
    client = login_client(supervisor)
    bad = client.post(
        url(tenant_a, "accounts/new/"), {"new_customer_name": "", "location": location.public_id}
    )
    assert bad.status_code == 422 and "field-error" in bad.content.decode()
    response = client.post(
        url(tenant_a, "accounts/new/"),
        {
            "new_customer_name": "Otieno Shop",
            "new_customer_phone": "+254700000009",
            "location": location.public_id,
            "meter": meter.public_id,
            "tariff": tariff.public_id,
        },
    )
    assert response.status_code == 302
    account = Account.objects.get(tenant=tenant_a, location=location)
    assert account.customer.name == "Otieno Shop" and account.status == AccountStatus.PENDING


def test_a_refused_account_leaves_no_stray_new_customer(
    tenant_a, make_account, make_tariff, supervisor, login_client
):
    """The meter is already on another account: nothing is created, so a retry makes no duplicate."""
    from juiced.vending.models import Location, VendingCustomer

    taken = make_account(tenant_a)
    location = Location.objects.create(tenant=tenant_a, loc_id="LOC-NEW", address_1="1 New Road")
    form = {
        "new_customer_name": "Otieno Shop",
        "new_customer_phone": "+254700000009",
        "location": location.public_id,
        "meter": taken.meter.public_id,
        "tariff": make_tariff(tenant_a).public_id,
    }
    client = login_client(supervisor)
    for _retry in range(2):
        response = client.post(url(tenant_a, "accounts/new/"), form)
        assert response.status_code == 422
        assert "already on another active account" in response.content.decode()
    assert not VendingCustomer.objects.filter(tenant=tenant_a, name="Otieno Shop").exists()


def test_cashier_cannot_open_manage_screens(cashier, login_client, tenant_a):
    client = login_client(cashier)
    for path in ("accounts/new/", "masters/", "customers/new/", "meters/new/", "tariffs/new/", "vendors/"):
        assert client.get(url(tenant_a, path)).status_code == 403, path


@pytest.mark.parametrize("path", ["", "accounts/", "customers/", "locations/", "meters/", "tariffs/"])
def test_lists_render_for_every_vending_role(
    path, account, cashier, supervisor, support, alice, login_client, tenant_a
):
    for user in (cashier, supervisor, support, alice):
        assert login_client(user).get(url(tenant_a, path)).status_code == 200


# --- tenant isolation: every URL with another tenant's record is a 404 ---------------------------------


@pytest.fixture
def theirs(tenant_b, bob, make_account, make_vendor):
    """One of every kind of vending record at tenant B."""
    account = make_account(tenant_b)
    master = MasterAccount.objects.create(tenant=tenant_b, name="Bolt estate")
    vendor = make_vendor(bob, tenant_b)
    batch = Batch.objects.create(
        tenant=tenant_b, vendor=vendor, number=1, business_date=datetime.date.today()
    )
    sale = Sale.objects.create(
        tenant=tenant_b,
        account=account,
        meter=account.meter,
        tariff_version=account.tariff.current_version,
        vendor=vendor,
        batch=batch,
        payment_kind="cash",
        amount=1000,
        energy_money=1000,
        energy_wh=5000,
    )
    debt = ArrearsDebt.objects.create(
        tenant=tenant_b, account=account, amount=500, balance=500, reason="Old bill"
    )
    plan = RepaymentPlan.objects.create(
        tenant=tenant_b,
        account=account,
        debt=debt,
        instalments=2,
        start_date=datetime.date.today(),
        total=500,
    )
    document = AccountDocument.objects.create(
        tenant=tenant_b, account=account, file=ContentFile(b"x", name="x.txt"), name="x"
    )
    return {
        "acc": account.public_id,
        "num": account.number,
        "cus": account.customer.public_id,
        "loc": account.location.public_id,
        "mtr": account.meter.public_id,
        "trf": account.tariff.public_id,
        "mac": master.public_id,
        "ven": vendor.public_id,
        "bat": batch.public_id,
        "sal": sale.public_id,
        "rpl": plan.public_id,
        "doc": document.public_id,
    }


ISOLATED = [
    ("get", "accounts/{acc}/"),
    ("get", "accounts/{num}/"),
    ("get", "accounts/{acc}/vends/"),
    ("get", "accounts/{acc}/money/"),
    ("get", "accounts/{acc}/wallet/"),
    ("get", "accounts/{acc}/deposit/"),
    ("get", "accounts/{acc}/arrears/"),
    ("get", "accounts/{acc}/documents/"),
    ("get", "accounts/{acc}/notes/"),
    ("get", "accounts/{acc}/audit/"),
    ("get", "accounts/{acc}/calculator/?amount=10"),
    ("post", "accounts/{acc}/activate/"),
    ("post", "accounts/{acc}/deactivate/"),
    ("post", "accounts/{acc}/settings/"),
    ("post", "accounts/{acc}/sms/"),
    ("post", "accounts/{acc}/wallet/topup/"),
    ("post", "accounts/{acc}/deposit/pay/"),
    ("post", "accounts/{acc}/deposit/refund/"),
    ("post", "accounts/{acc}/arrears/debt/"),
    ("post", "accounts/{acc}/arrears/plan/"),
    ("post", "accounts/{acc}/arrears/plans/{rpl}/pay/"),
    ("post", "accounts/{acc}/notes/add/"),
    ("post", "accounts/{acc}/documents/upload/"),
    ("get", "accounts/{acc}/documents/{doc}/"),
    ("get", "accounts/{acc}/cart/"),
    ("get", "accounts/{acc}/pay/cash/"),
    ("post", "accounts/{acc}/pay/cash/"),
    ("post", "accounts/{acc}/pay/cash/confirm/"),
    ("get", "sales/{sal}/"),
    ("post", "sales/{sal}/reverse/"),
    ("get", "batches/{bat}/"),
    ("post", "batches/{bat}/close/"),
    ("get", "vendors/{ven}/"),
    ("get", "customers/{cus}/"),
    ("post", "customers/{cus}/"),
    ("get", "locations/{loc}/"),
    ("post", "locations/{loc}/"),
    ("get", "meters/{mtr}/"),
    ("post", "meters/{mtr}/"),
    ("post", "meters/{mtr}/tokens/"),
    ("post", "meters/{mtr}/decode/"),
    ("get", "tariffs/{trf}/"),
    ("post", "tariffs/{trf}/"),
    ("get", "masters/{mac}/"),
    ("post", "masters/{mac}/"),
    ("post", "masters/{mac}/sync/"),
]


@pytest.mark.parametrize(("method", "path"), ISOLATED)
def test_another_tenants_record_is_not_found(method, path, theirs, alice, login_client, tenant_a, tenant_b):
    client = login_client(alice)
    response = getattr(client, method)(url(tenant_a, path.format(**theirs)), {"amount": "10", "reason": "x"})
    assert response.status_code == 404
    assert Sale.objects.filter(tenant=tenant_b).count() == 1
    assert not AccountNote.objects.filter(tenant=tenant_b).exists()


def test_another_tenants_vending_pages_are_not_found(alice, login_client, tenant_b):
    assert login_client(alice).get(url(tenant_b)).status_code == 404


def test_wallet_entries_are_listed(account, supervisor, login_client, tenant_a):
    from juiced.vending.models import AccountEntry

    AccountEntry.objects.create(
        tenant=tenant_a,
        account=account,
        pocket=Pocket.WALLET,
        kind="wallet_topup",
        amount=2500,
        balance_after=2500,
        description="Counter top-up",
    )
    html = (
        login_client(supervisor).get(url(tenant_a, f"accounts/{account.public_id}/wallet/")).content.decode()
    )
    assert "Counter top-up" in html and "+$25.00" in html


def test_vendor_rows_are_tenant_scoped_in_the_supervisor_list(theirs, supervisor, login_client, tenant_a):
    html = login_client(supervisor).get(url(tenant_a, "vendors/")).content.decode()
    assert Vendor.objects.get(public_id=theirs["ven"]).name not in html


def test_new_tariff_version_form_starts_from_the_current_terms(alice, login_client, tenant_a, make_tariff):
    """Changing only the rate must not silently drop the tax, fixed charges or minimum purchase."""
    tariff = make_tariff(
        tenant_a, flat_rate=25_000, fixed_per_purchase=50, fixed_per_day=5, tax_bp=1_600, minimum_purchase=200
    )
    client = login_client(alice)
    tariff_url = url(tenant_a, f"tariffs/{tariff.public_id}/")
    form = client.get(tariff_url).context["version_form"]
    typed = {name: form[name].value() or "" for name in form.fields}
    assert typed["flat_rate"] == "25" and typed["tax_percent"] == "16"
    assert (typed["fixed_per_purchase"], typed["fixed_per_day"], typed["minimum_purchase"]) == (
        "0.50",
        "0.05",
        "2.00",
    )

    # The admin posts the form back as shown with only the rate changed.
    response = client.post(tariff_url, {**typed, "flat_rate": "27.5", "note": "2027 prices"})
    assert response.status_code == 302
    tariff.refresh_from_db()
    version = tariff.current_version
    assert (version.number, version.flat_rate, version.tax_bp) == (2, 27_500, 1_600)
    assert (version.fixed_per_purchase, version.fixed_per_day, version.minimum_purchase) == (50, 5, 200)


def test_new_tariff_version_form_prefills_blocks_and_time_of_use(alice, login_client, tenant_a, make_tariff):
    blocks = make_tariff(
        tenant_a,
        kind="blocks",
        flat_rate=None,
        blocks=[{"up_to_kwh": 50, "rate": 12_000}, {"up_to_kwh": None, "rate": 23_450}],
    )
    tou = make_tariff(
        tenant_a,
        kind="tou",
        flat_rate=None,
        tou=[
            {"start": "00:00", "end": "06:00", "rate": 9_000},
            {"start": "06:00", "end": "24:00", "rate": 30_000},
        ],
    )
    client = login_client(alice)
    form = client.get(url(tenant_a, f"tariffs/{blocks.public_id}/")).context["version_form"]
    assert form["kind"].value() == "blocks" and form["blocks"].value() == "50: 12\n*: 23.45"
    form = client.get(url(tenant_a, f"tariffs/{tou.public_id}/")).context["version_form"]
    assert form["kind"].value() == "tou" and form["tou"].value() == "00:00-06:00: 9\n06:00-24:00: 30"
    typed = {name: form[name].value() or "" for name in form.fields}
    assert (
        client.post(url(tenant_a, f"tariffs/{tou.public_id}/"), {**typed, "note": "same"}).status_code == 302
    )
    tou.refresh_from_db()
    assert tou.current_version.number == 2 and tou.current_version.tou == [
        {"start": "00:00", "end": "06:00", "rate": 9_000},
        {"start": "06:00", "end": "24:00", "rate": 30_000},
    ]


def test_vending_customers_do_not_highlight_marketplace_customers(login_client, alice, tenant_a):
    page = login_client(alice).get(f"/manage/{tenant_a.slug}/vending/customers/").content.decode()
    customers_link = page.split(f'href="/manage/{tenant_a.slug}/customers/"', 1)[1].split(">", 1)[0]
    assert "aria-current" not in customers_link
