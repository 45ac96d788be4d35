"""Set-up services: customers, locations, meters, tariffs (versioned), accounts (lifecycle) and vendors."""

from __future__ import annotations

import pytest

from juiced.core.crypto import decrypt_secret
from juiced.core.errors import InvalidState, PermissionDenied, ValidationFailed
from juiced.core.tenancy import StaffAccess
from juiced.tenants.roles import StaffRole
from juiced.vending.models import Account, AccountEvent, AccountNote, Location, Meter, Tariff, TariffVersion
from juiced.vending.setup import (
    account_activate,
    account_create,
    account_deactivate,
    account_update,
    customer_create,
    customer_update,
    energy_step_wh_from_kwh,
    location_create,
    location_update,
    meter_create,
    meter_update,
    tariff_create,
    tariff_update,
    tariff_version_add,
    vendor_create,
    vendor_update,
)
from tests.vending.conftest import METER_KEY_HEX

KEY = "00112233445566778899aabbccddeeff"


@pytest.fixture
def admin(alice, tenant_a):
    return StaffAccess(user=alice, tenant=tenant_a, role=StaffRole.ADMIN)


@pytest.fixture
def parts(admin, make_tariff, tenant_a):
    """A customer, a location, a meter and a tariff of tenant_a, made through the services."""
    return {
        "customer": customer_create(
            access=admin, data={"name": "Wanjiku Kamau", "phone": "+254 700-000 001"}
        ),
        "location": location_create(access=admin, data={"loc_id": "KIS-001", "address_1": "1 Lake Road"}),
        "meter": meter_create(access=admin, data={"serial_number": "SM-1", "openpaygo_secret_key": KEY}),
        "tariff": make_tariff(tenant_a, name="Residential"),
    }


def ids(parts):
    return {name: row.public_id for name, row in parts.items()}


def fields_of(exc_info) -> set[str]:
    return set(exc_info.value.fields)


# --- customers ----------------------------------------------------------------------------------------------


def test_customer_phones_are_normalised_to_e164_and_email_lowercased(admin):
    customer = customer_create(
        access=admin,
        data={
            "name": " Otieno ",
            "phone": "+254 (700) 000-002",
            "phone_alt": "",
            "email": "Otieno@Example.TEST",
        },
    )
    assert (customer.name, customer.phone, customer.email) == (
        "Otieno",
        "+254700000002",
        "otieno@example.test",
    )


def test_customer_create_reports_every_bad_field(admin):
    with pytest.raises(ValidationFailed) as exc_info:
        customer_create(
            access=admin,
            data={"phone": "0700 000", "email": "not-an-email", "discount_bp": 20_000, "colour": "red"},
        )
    assert fields_of(exc_info) == {"name", "phone", "email", "discount_bp", "colour"}
    assert "international format" in exc_info.value.fields["phone"][0]


def test_customer_update_changes_only_given_fields_and_records_history(admin, parts, make_account, tenant_a):
    account = account_create(access=admin, data=ids(parts))
    customer = customer_update(access=admin, customer=parts["customer"], data={"discount_bp": 500})
    assert customer.discount_bp == 500 and customer.phone == "+254700000001"
    event = account.events.get(action="customer_updated")
    assert event.changes == {"discount_bp": [0, 500]}


# --- locations ----------------------------------------------------------------------------------------------


def test_loc_id_is_unique_per_tenant_whatever_the_case(admin, parts, tenant_b, bob):
    with pytest.raises(ValidationFailed) as exc_info:
        location_create(access=admin, data={"loc_id": "kis-001", "address_1": "Elsewhere"})
    assert fields_of(exc_info) == {"loc_id"}
    other = StaffAccess(user=bob, tenant=tenant_b, role=StaffRole.ADMIN)
    assert location_create(access=other, data={"loc_id": "KIS-001", "address_1": "B"}).tenant == tenant_b


def test_location_requires_an_address_and_checks_country_and_coordinates(admin):
    with pytest.raises(ValidationFailed) as exc_info:
        location_create(access=admin, data={"loc_id": "X1", "country": "Kenya", "latitude": "91"})
    assert fields_of(exc_info) == {"address_1", "country", "latitude"}
    assert Location.objects.count() == 0


def test_location_update_keeps_its_own_loc_id_and_records_on_accounts(admin, parts):
    account = account_create(access=admin, data=ids(parts))
    location = location_update(
        access=admin,
        location=parts["location"],
        data={"loc_id": "KIS-001", "city": "Kisumu", "country": "ke"},
    )
    assert (location.city, location.country) == ("Kisumu", "KE")
    assert account.events.get(action="location_updated").changes == {
        "city": ["", "Kisumu"],
        "country": ["", "KE"],
    }


# --- meters -------------------------------------------------------------------------------------------------


def test_meter_secret_is_stored_encrypted_and_the_step_converted_from_kwh(admin):
    meter = meter_create(
        access=admin,
        data={
            "serial_number": "SM-9",
            "com": "OpenPAYGO / GSM",
            "openpaygo_secret_key": METER_KEY_HEX.upper(),
            "openpaygo_starting_code": 123456789,
            "energy_step_kwh": "0.5",
            "token_count": 7,
        },
    )
    meter.refresh_from_db()
    assert meter.openpaygo_secret_key != METER_KEY_HEX
    assert decrypt_secret(meter.openpaygo_secret_key) == METER_KEY_HEX
    assert (meter.energy_step_wh, meter.token_count, meter.openpaygo_starting_code) == (500, 7, 123456789)
    assert meter.vending_enabled is True


def test_meter_draws_a_starting_code_when_none_is_given(admin):
    meter = meter_create(access=admin, data={"serial_number": "SM-10", "openpaygo_secret_key": KEY})
    assert 0 <= meter.openpaygo_starting_code < 10**9


@pytest.mark.parametrize(("value", "wh"), [("0.1", 100), (0.1, 100), (1, 1000), ("2.345", 2345)])
def test_energy_step_kwh_becomes_whole_wh(value, wh):
    assert energy_step_wh_from_kwh(value) == wh


@pytest.mark.parametrize("value", ["0", "-1", "0.0001", "abc", "NaN"])
def test_energy_step_kwh_refuses_non_positive_or_sub_wh_values(value):
    with pytest.raises(ValueError):
        energy_step_wh_from_kwh(value)


def test_meter_create_validates_serial_key_and_step(admin, parts):
    with pytest.raises(ValidationFailed) as exc_info:
        meter_create(
            access=admin,
            data={
                "serial_number": "sm-1",
                "openpaygo_secret_key": "xyz",
                "energy_step_kwh": "0",
                "token_standard": "sts",
            },
        )
    assert fields_of(exc_info) == {
        "serial_number",
        "openpaygo_secret_key",
        "energy_step_kwh",
        "token_standard",
    }
    assert Meter.objects.count() == 1


def test_meter_token_count_changes_need_token_permission_and_a_reason(admin, parts, make_staff, tenant_a):
    meter = parts["meter"]
    supervisor = StaffAccess(
        user=make_staff(StaffRole.VENDING_SUPERVISOR), tenant=tenant_a, role=StaffRole.VENDING_SUPERVISOR
    )
    cashier = StaffAccess(user=make_staff(StaffRole.CASHIER), tenant=tenant_a, role=StaffRole.CASHIER)
    with pytest.raises(PermissionDenied):
        meter_update(access=cashier, meter=meter, data={"token_count": 40, "reason": "sync"})
    with pytest.raises(ValidationFailed) as exc_info:
        meter_update(access=supervisor, meter=meter, data={"token_count": 40})
    assert fields_of(exc_info) == {"reason"}
    with pytest.raises(ValidationFailed) as exc_info:
        meter_update(access=supervisor, meter=meter, data={"token_count": 0, "reason": "oops"})
    assert fields_of(exc_info) == {"token_count"}
    meter.refresh_from_db()
    assert meter.token_count == 1
    updated = meter_update(access=supervisor, meter=meter, data={"token_count": 40, "reason": "Counter sync"})
    assert updated.token_count == 40


def test_meter_plain_fields_update_without_token_permission(admin, parts, make_staff, tenant_a):
    account = account_create(access=admin, data=ids(parts))
    cashier = StaffAccess(user=make_staff(StaffRole.CASHIER), tenant=tenant_a, role=StaffRole.CASHIER)
    meter = meter_update(access=cashier, meter=parts["meter"], data={"vending_enabled": False, "com": "GSM"})
    assert meter.vending_enabled is False
    event = account.events.get(action="meter_updated")
    assert event.changes == {"com": ["", "GSM"], "vending_enabled": [True, False]}


def test_meter_secret_key_change_is_encrypted_and_never_in_history(admin, parts):
    account = account_create(access=admin, data=ids(parts))
    meter = meter_update(
        access=admin, meter=parts["meter"], data={"openpaygo_secret_key": METER_KEY_HEX, "reason": "Re-keyed"}
    )
    assert decrypt_secret(meter.openpaygo_secret_key) == METER_KEY_HEX
    event = account.events.get(action="meter_updated")
    assert METER_KEY_HEX not in str(event.changes) and "Re-keyed" in event.summary


# --- tariffs ------------------------------------------------------------------------------------------------


def test_tariff_create_makes_version_one(admin):
    tariff = tariff_create(
        access=admin, data={"name": "Flat 20", "kind": "flat", "flat_rate": 20_000, "tax_bp": 1_600}
    )
    version = tariff.current_version
    assert (version.number, version.kind, version.flat_rate, version.tax_bp) == (1, "flat", 20_000, 1_600)


def test_tariff_create_reports_name_and_terms_errors_together(admin, make_tariff, tenant_a):
    make_tariff(tenant_a, name="Business")
    with pytest.raises(ValidationFailed) as exc_info:
        tariff_create(access=admin, data={"name": "business", "kind": "blocks", "blocks": []})
    assert fields_of(exc_info) == {"name", "blocks"}
    assert Tariff.objects.count() == 1


def test_a_terms_change_is_a_new_version_and_old_versions_stay(admin):
    tariff = tariff_create(access=admin, data={"name": "Flat", "kind": "flat", "flat_rate": 20_000})
    first = tariff.current_version
    second = tariff_version_add(access=admin, tariff=tariff, data={"fixed_per_purchase": 50, "note": "levy"})
    tariff.refresh_from_db()
    assert tariff.current_version == second
    assert (second.number, second.flat_rate, second.fixed_per_purchase, second.note) == (
        2,
        20_000,
        50,
        "levy",
    )
    first.refresh_from_db()
    assert (first.number, first.fixed_per_purchase) == (1, 0)


def test_changing_the_kind_needs_the_new_kinds_terms(admin):
    tariff = tariff_create(access=admin, data={"name": "Flat", "kind": "flat", "flat_rate": 20_000})
    with pytest.raises(ValidationFailed) as exc_info:
        tariff_version_add(access=admin, tariff=tariff, data={"kind": "tou"})
    assert fields_of(exc_info) == {"tou"}
    windows = [
        {"start": "00:00", "end": "18:00", "rate": 15_000},
        {"start": "18:00", "end": "24:00", "rate": 30_000},
    ]
    version = tariff_version_add(access=admin, tariff=tariff, data={"kind": "tou", "tou": windows})
    assert (version.kind, version.flat_rate, version.number) == ("tou", None, 2)
    assert TariffVersion.objects.filter(tariff=tariff).count() == 2


def test_tariff_update_renames_without_a_new_version(admin):
    tariff = tariff_create(access=admin, data={"name": "Flat", "kind": "flat", "flat_rate": 20_000})
    tariff = tariff_update(access=admin, tariff=tariff, data={"name": "Flat 2026", "is_active": False})
    assert (tariff.name, tariff.is_active, tariff.current_version.number) == ("Flat 2026", False, 1)
    tariff = tariff_update(access=admin, tariff=tariff, data={"flat_rate": 21_000})
    assert (tariff.current_version.number, tariff.current_version.flat_rate) == (2, 21_000)


# --- accounts -----------------------------------------------------------------------------------------------


def test_account_create_is_pending_with_a_generated_number_and_history(admin, parts):
    account = account_create(access=admin, data=ids(parts))
    assert (account.status, account.number) == ("pending", "100001")
    second_meter = meter_create(access=admin, data={"serial_number": "SM-2", "openpaygo_secret_key": KEY})
    second = account_create(access=admin, data={**ids(parts), "meter": second_meter.public_id})
    assert second.number == "100002"
    event = account.events.get()
    assert event.action == "created" and event.changes["meter"] == [None, parts["meter"].public_id]


def test_account_number_given_is_kept_and_unique(admin, parts):
    account_create(access=admin, data={**ids(parts), "number": "A-7"})
    with pytest.raises(ValidationFailed) as exc_info:
        account_create(access=admin, data={**ids(parts), "number": "a-7"})
    assert fields_of(exc_info) == {"number"}


def test_account_create_refuses_missing_and_other_tenants_parts(admin, parts, tenant_b, make_meter):
    foreign_meter = make_meter(tenant_b)
    with pytest.raises(ValidationFailed) as exc_info:
        account_create(
            access=admin,
            data={
                "customer": parts["customer"].public_id,
                "meter": foreign_meter.public_id,
                "tariff": "trf_nope",
            },
        )
    assert fields_of(exc_info) == {"location", "meter", "tariff"}
    assert exc_info.value.fields["meter"] == ["No such meter."]
    assert Account.objects.count() == 0


def test_a_meter_on_an_active_account_cannot_join_another(admin, parts):
    first = account_create(access=admin, data=ids(parts))
    # While the first is pending, a second pending account may name the meter…
    second = account_create(access=admin, data=ids(parts))
    account_activate(access=admin, account=first)
    # …but once one is active, neither a new account nor the other's activation may take it.
    with pytest.raises(ValidationFailed) as exc_info:
        account_create(access=admin, data=ids(parts))
    assert fields_of(exc_info) == {"meter"}
    with pytest.raises(ValidationFailed) as exc_info:
        account_activate(access=admin, account=second)
    assert fields_of(exc_info) == {"meter"}
    second.refresh_from_db()
    assert second.status == "pending"


def test_activate_then_deactivate_with_a_required_note(admin, parts):
    account = account_create(access=admin, data=ids(parts))
    account = account_activate(access=admin, account=account)
    assert account.status == "active" and account.activated_at is not None
    with pytest.raises(InvalidState):
        account_activate(access=admin, account=account)
    with pytest.raises(ValidationFailed) as exc_info:
        account_deactivate(access=admin, account=account, note="  ")
    assert fields_of(exc_info) == {"note"}
    account.refresh_from_db()
    assert account.status == "active"
    account = account_deactivate(access=admin, account=account, note="Customer moved out")
    assert account.status == "inactive" and account.deactivated_at is not None
    assert AccountNote.objects.get(account=account).action == "deactivate"
    actions = list(
        AccountEvent.objects.filter(account=account).order_by("id").values_list("action", "changes")
    )
    assert actions[1:] == [
        ("activated", {"status": ["pending", "active"]}),
        ("deactivated", {"status": ["active", "inactive"]}),
    ]


def test_account_update_records_old_and_new_values(admin, parts, make_tariff, tenant_a):
    account = account_create(access=admin, data=ids(parts))
    other = make_tariff(tenant_a, name="Business")
    account = account_update(
        access=admin,
        account=account,
        data={"tariff": other.public_id, "arrears_recovery_bp": 2_000, "maximum_purchase": 500_000},
    )
    assert account.tariff == other
    event = account.events.get(action="updated")
    assert event.changes == {
        "tariff": [parts["tariff"].public_id, other.public_id],
        "arrears_recovery_bp": [0, 2_000],
        "maximum_purchase": [None, 500_000],
    }


def test_account_update_refuses_a_maximum_below_the_minimum(admin, parts):
    account = account_create(access=admin, data={**ids(parts), "minimum_purchase": 1_000})
    with pytest.raises(ValidationFailed) as exc_info:
        account_update(access=admin, account=account, data={"maximum_purchase": 500})
    assert fields_of(exc_info) == {"maximum_purchase"}


# --- vendors ------------------------------------------------------------------------------------------------


def test_vendor_create_for_a_staff_member_with_limits(admin, make_staff, tenant_b, bob):
    cashier = make_staff(StaffRole.CASHIER)
    vendor = vendor_create(
        access=admin, data={"user": cashier.public_id, "name": "Till 1", "limit_per_sale": 100_000}
    )
    assert (vendor.user, vendor.limit_per_sale, vendor.limit_per_day) == (cashier, 100_000, None)
    with pytest.raises(ValidationFailed) as exc_info:
        vendor_create(access=admin, data={"user": cashier.public_id, "name": "Again"})
    assert fields_of(exc_info) == {"user"}
    with pytest.raises(ValidationFailed) as exc_info:
        vendor_create(access=admin, data={"user": bob.public_id, "name": "Not ours"})
    assert exc_info.value.fields["user"] == ["No such staff member."]
    vendor = vendor_update(
        access=admin, vendor=vendor, data={"limit_per_day": 500_000, "limit_per_sale": None}
    )
    assert (vendor.limit_per_sale, vendor.limit_per_day) == (None, 500_000)
