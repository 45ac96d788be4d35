"""/api/manage/vending set-up endpoints: accounts, customers, locations, meters, tariffs, master accounts."""

from __future__ import annotations

import pytest

from juiced.core.crypto import decrypt_secret
from juiced.tenants.roles import StaffRole
from juiced.vending.models import Account, AccountEvent, Meter, Tariff, VendingCustomer
from tests.api.conftest import assert_error, call
from tests.vending.conftest import METER_KEY_HEX


def vend(client, method: str, path: str, body=None, **headers: str):
    """A JSON call under /api/manage/vending (the other vending API tests import it)."""
    return call(client, method, "/vending" + path, body, **headers)


@pytest.fixture
def alice_api(api_client, alice, tenant_a):
    return api_client(alice, tenant_a)


@pytest.fixture
def cashier_api(api_client, cashier, tenant_a):
    return api_client(cashier, tenant_a)


@pytest.fixture
def parts(alice_api, make_tariff, tenant_a):
    customer = vend(alice_api, "post", "/customers", {"name": "Wanjiku", "phone": "+254 700 000 001"}).json()
    location = vend(alice_api, "post", "/locations", {"loc_id": "KIS-1", "address_1": "1 Lake Rd"}).json()
    meter = vend(
        alice_api, "post", "/meters", {"serial_number": "SM-1", "openpaygo_secret_key": METER_KEY_HEX}
    ).json()
    tariff = make_tariff(tenant_a, name="Residential")
    return {
        "customer": customer["id"],
        "location": location["id"],
        "meter": meter["id"],
        "tariff": tariff.public_id,
    }


# --- customers, locations, meters ---------------------------------------------------------------------------


def test_customer_create_get_patch_and_list(alice_api):
    response = vend(alice_api, "post", "/customers", {"name": "Otieno", "phone": "+254 (700) 000-002"})
    assert response.status_code == 201, response.content
    customer = response.json()
    assert customer["id"].startswith("vcu_") and customer["phone"] == "+254700000002"
    patched = vend(alice_api, "patch", f"/customers/{customer['id']}", {"discount_bp": 250}).json()
    assert patched["discount_bp"] == 250 and patched["name"] == "Otieno"
    assert vend(alice_api, "get", f"/customers/{customer['id']}").json() == patched
    listing = vend(alice_api, "get", "/customers?q=otieno").json()
    assert [c["id"] for c in listing["data"]] == [customer["id"]] and listing["total"] == 1


def test_customer_fields_are_validated_field_by_field(alice_api):
    response = vend(
        alice_api, "post", "/customers", {"name": "", "email": "nope", "phone": "123", "colour": 1}
    )
    error = assert_error(response, 422, "invalid")
    assert "colour" in error["fields"]
    response = vend(alice_api, "post", "/customers", {"name": "", "email": "nope", "phone": "123"})
    error = assert_error(response, 422, "invalid", "name", "email", "phone")
    assert VendingCustomer.objects.count() == 0


def test_location_loc_id_unique_ignoring_case(alice_api):
    assert vend(alice_api, "post", "/locations", {"loc_id": "KIS-1", "address_1": "A"}).status_code == 201
    response = vend(alice_api, "post", "/locations", {"loc_id": "kis-1", "address_1": "B"})
    assert_error(response, 422, "invalid", "loc_id")
    found = vend(alice_api, "get", "/locations/kis-1").json()
    assert found["loc_id"] == "KIS-1"


def test_meter_secret_key_is_write_only(alice_api):
    body = {
        "serial_number": "SM-7",
        "com": "GSM",
        "openpaygo_secret_key": METER_KEY_HEX,
        "openpaygo_starting_code": 123456789,
        "energy_step_kwh": 0.5,
        "extended_tokens": True,
    }
    response = vend(alice_api, "post", "/meters", body)
    assert response.status_code == 201, response.content
    meter = response.json()
    assert "openpaygo_secret_key" not in meter and METER_KEY_HEX not in response.content.decode()
    assert meter["has_secret_key"] is True
    assert (meter["energy_step_kwh"], meter["energy_step_wh"], meter["token_count"]) == ("0.5", 500, 1)
    stored = Meter.objects.get(public_id=meter["id"])
    assert decrypt_secret(stored.openpaygo_secret_key) == METER_KEY_HEX
    for path in (f"/meters/{meter['id']}", "/meters", "/meters/SM-7"):
        assert METER_KEY_HEX not in vend(alice_api, "get", path).content.decode()


def test_meter_validation_and_token_count_rule(alice_api, api_client, make_staff, tenant_a, parts):
    response = vend(alice_api, "post", "/meters", {"serial_number": "sm-1", "openpaygo_secret_key": "abc"})
    assert_error(response, 422, "invalid", "serial_number", "openpaygo_secret_key")
    response = vend(alice_api, "patch", f"/meters/{parts['meter']}", {"token_count": 30})
    assert_error(response, 422, "invalid", "reason")
    supervisor_api = api_client(make_staff(StaffRole.VENDING_SUPERVISOR), tenant_a)
    response = vend(
        supervisor_api, "patch", f"/meters/{parts['meter']}", {"token_count": 30, "reason": "sync"}
    )
    assert response.status_code == 200 and response.json()["token_count"] == 30
    response = vend(alice_api, "patch", f"/meters/{parts['meter']}", {"energy_step_kwh": "0.0001"})
    assert_error(response, 422, "invalid", "energy_step_kwh")


# --- accounts -----------------------------------------------------------------------------------------------


def test_account_lifecycle_through_the_api(alice_api, parts):
    response = vend(alice_api, "post", "/accounts", parts)
    assert response.status_code == 201, response.content
    account = response.json()
    assert (account["status"], account["number"], account["currency"]) == ("pending", "100001", "usd")
    assert account["meter"]["serial_number"] == "SM-1" and account["customer"]["name"] == "Wanjiku"
    response = vend(alice_api, "post", f"/accounts/{account['id']}/activate", {})
    assert response.json()["status"] == "active"
    assert_error(vend(alice_api, "post", f"/accounts/{account['id']}/activate"), 409, "invalid_state")
    response = vend(alice_api, "post", f"/accounts/{account['id']}/activate", {"note": 5})
    assert_error(response, 422, "invalid", "note")
    response = vend(alice_api, "post", f"/accounts/{account['number']}/deactivate", {})
    assert_error(response, 422, "invalid", "note")
    response = vend(alice_api, "post", f"/accounts/{account['id']}/deactivate", {"note": "Moved out"})
    assert response.json()["status"] == "inactive"
    actions = list(AccountEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "activated", "deactivated"]


def test_account_create_refuses_unknown_parts_and_a_busy_meter(alice_api, parts):
    response = vend(alice_api, "post", "/accounts", {**parts, "tariff": "trf_missing", "location": "loc_x"})
    error = assert_error(response, 422, "invalid", "tariff", "location")
    assert error["fields"]["tariff"] == ["No such tariff."]
    first = vend(alice_api, "post", "/accounts", parts).json()
    assert vend(alice_api, "post", f"/accounts/{first['id']}/activate").status_code == 200
    assert_error(vend(alice_api, "post", "/accounts", parts), 422, "invalid", "meter")
    assert_error(
        vend(alice_api, "post", "/accounts", {"customer": parts["customer"]}), 422, "invalid", "meter"
    )


def test_account_patch_and_search(alice_api, parts, make_tariff, tenant_a):
    account = vend(alice_api, "post", "/accounts", parts).json()
    business = make_tariff(tenant_a, name="Business")
    patched = vend(
        alice_api,
        "patch",
        f"/accounts/{account['id']}",
        {"tariff": business.public_id, "maximum_purchase": 90000},
    ).json()
    assert patched["tariff"]["id"] == business.public_id and patched["maximum_purchase"] == 90000
    for q in ("Wanjiku", "KIS-1", "sm-1", "254700000001", "100001"):
        found = vend(alice_api, "get", f"/accounts?q={q}").json()
        assert [a["id"] for a in found["data"]] == [account["id"]], q
    assert vend(alice_api, "get", "/accounts?status=active").json()["total"] == 0
    assert_error(vend(alice_api, "get", "/accounts?status=dormant"), 422, "invalid", "status")


def test_cashier_can_read_but_not_manage_accounts(cashier_api, parts, alice_api):
    assert vend(cashier_api, "get", "/accounts").status_code == 200
    assert_error(vend(cashier_api, "post", "/accounts", parts), 403, "forbidden")
    assert_error(vend(cashier_api, "post", "/customers", {"name": "X"}), 403, "forbidden")
    assert_error(
        vend(cashier_api, "post", "/tariffs", {"name": "X", "kind": "flat", "flat_rate": 1}), 403, "forbidden"
    )
    assert Account.objects.count() == 0


# --- tariffs ------------------------------------------------------------------------------------------------


def test_tariff_create_patch_makes_versions(alice_api):
    response = vend(
        alice_api, "post", "/tariffs", {"name": "Flat", "kind": "flat", "flat_rate": 20_000, "tax_bp": 1_600}
    )
    assert response.status_code == 201, response.content
    tariff = response.json()
    assert tariff["current_version"]["number"] == 1 and len(tariff["versions"]) == 1
    patched = vend(
        alice_api, "patch", f"/tariffs/{tariff['id']}", {"flat_rate": 22_000, "note": "2027"}
    ).json()
    assert [v["number"] for v in patched["versions"]] == [2, 1]
    assert (patched["current_version"]["flat_rate"], patched["current_version"]["tax_bp"]) == (22_000, 1_600)
    renamed = vend(alice_api, "patch", f"/tariffs/{tariff['id']}", {"name": "Flat 2027"}).json()
    assert renamed["name"] == "Flat 2027" and renamed["current_version"]["number"] == 2


def test_tariff_validation_errors(alice_api):
    response = vend(
        alice_api, "post", "/tariffs", {"name": "Blocks", "kind": "blocks", "blocks": [{"rate": 0}]}
    )
    assert_error(response, 422, "invalid", "blocks")
    assert_error(vend(alice_api, "post", "/tariffs", {"name": "X", "kind": "solar"}), 422, "invalid", "kind")
    assert Tariff.objects.count() == 0


def test_support_cannot_manage_tariffs(api_client, make_staff, tenant_a, make_tariff):
    support_api = api_client(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)
    tariff = make_tariff(tenant_a)
    assert_error(
        vend(support_api, "patch", f"/tariffs/{tariff.public_id}", {"flat_rate": 1}), 403, "forbidden"
    )
    assert vend(support_api, "get", f"/tariffs/{tariff.public_id}").status_code == 200


def test_tariff_calculator_quotes_without_selling(alice_api, tenant_a, make_tariff):
    tariff = make_tariff(tenant_a, flat_rate=20_000, fixed_per_purchase=100, tax_bp=1_000)
    response = vend(alice_api, "post", f"/tariffs/{tariff.public_id}/quote", {"amount": 2_000})
    assert response.status_code == 200, response.content
    quote = response.json()
    assert quote["amount"] == 2_000 and quote["currency"] == "usd"
    assert (
        quote["amount"]
        == quote["arrears_share"] + quote["fixed_charges"] + quote["tax"] + quote["energy_money"]
    )
    assert quote["fixed_charges"] == 100 and quote["energy_wh"] % 100 == 0 and quote["energy_wh"] > 0
    assert quote["lines"]
    response = vend(alice_api, "post", f"/tariffs/{tariff.public_id}/quote", {"amount": "20.00"})
    assert_error(response, 422, "invalid", "amount")


def test_tariff_calculator_on_an_account(alice_api, tenant_a, make_account, make_tariff):
    account = make_account(tenant_a, arrears_recovery_bp=2_000)
    Account.objects.filter(pk=account.pk).update(arrears_balance=10_000)
    response = vend(
        alice_api,
        "post",
        f"/tariffs/{account.tariff.public_id}/quote",
        {"amount": 5_000, "account": account.number},
    )
    assert response.status_code == 200, response.content
    assert response.json()["arrears_share"] == 1_000 and response.json()["account"] == account.public_id
    other = make_tariff(tenant_a)
    response = vend(
        alice_api, "post", f"/tariffs/{other.public_id}/quote", {"amount": 5_000, "account": account.number}
    )
    assert_error(response, 422, "invalid", "account")


# --- master accounts ----------------------------------------------------------------------------------------


def test_master_create_link_preview_and_synchronize(alice_api, tenant_a, make_account, make_tariff):
    residential, business = make_tariff(tenant_a, name="Residential"), make_tariff(tenant_a, name="Business")
    accounts = [make_account(tenant_a, tariff=residential) for _ in range(2)]
    response = vend(
        alice_api,
        "post",
        "/master-accounts",
        {"name": "Estate", "tariff": business.public_id, "accounts": [a.public_id for a in accounts]},
    )
    assert response.status_code == 201, response.content
    master = response.json()
    assert [a["id"] for a in master["accounts"]] == [a.public_id for a in accounts]
    preview = vend(
        alice_api,
        "post",
        f"/master-accounts/{master['id']}/synchronize",
        {"fields": ["tariff"], "dry_run": True},
    ).json()
    assert preview["dry_run"] is True and preview["changed"] == 2
    assert preview["accounts"][0]["changes"] == {"tariff": [residential.public_id, business.public_id]}
    assert set(Account.objects.values_list("tariff", flat=True)) == {residential.pk}
    applied = vend(
        alice_api, "post", f"/master-accounts/{master['id']}/synchronize", {"fields": ["tariff"]}
    ).json()
    assert applied["dry_run"] is False and applied["changed"] == 2
    assert set(Account.objects.values_list("tariff", flat=True)) == {business.pk}
    assert AccountEvent.objects.filter(action="synchronized").count() == 2
    response = vend(alice_api, "post", f"/master-accounts/{master['id']}/synchronize", {"fields": ["status"]})
    assert_error(response, 422, "invalid", "fields")


def test_master_patch_changes_only_the_master(alice_api, tenant_a, make_account):
    account = make_account(tenant_a)
    master = vend(
        alice_api, "post", "/master-accounts", {"name": "M", "accounts": [account.public_id]}
    ).json()
    patched = vend(
        alice_api, "patch", f"/master-accounts/{master['id']}", {"arrears_recovery_bp": 3_000}
    ).json()
    assert patched["arrears_recovery_bp"] == 3_000
    account.refresh_from_db()
    assert account.arrears_recovery_bp == 0
    assert vend(alice_api, "get", "/master-accounts").json()["total"] == 1
