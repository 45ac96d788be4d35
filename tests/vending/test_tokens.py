"""OpenPAYGO tokens: issued under the meter lock, decoded by the library's own decoder, management tokens."""

from __future__ import annotations

import openpaygo
import pytest
from django.db import transaction

from juiced.core.crypto import decrypt_secret
from juiced.core.errors import NotFound, PermissionDenied, ValidationFailed
from juiced.core.tenancy import staff_access_for_tenant
from juiced.tenants.roles import StaffRole
from juiced.vending.models import AccountEvent, AccountNote, Token, TokenType
from juiced.vending.tokens import (
    lock_meter,
    meter_secret_set,
    token_decode,
    token_issue_management,
    token_values_for_energy,
    tokens_for_sale,
)
from tests.vending.conftest import METER_KEY_HEX, METER_STARTING_CODE


def library_decode(meter, token: Token, *, last_count: int):
    value, kind, count, _used = openpaygo.decode_token(
        token=token.token,
        secret_key=METER_KEY_HEX,
        count=last_count,
        used_counts=[],
        starting_code=METER_STARTING_CODE,
        restricted_digit_set=meter.restricted_digit_set,
    )
    return value, kind, count


def issue_sale_tokens(meter, energy_wh):
    with transaction.atomic():
        locked = lock_meter(meter.pk)
        return tokens_for_sale(meter=locked, sale=None, energy_wh=energy_wh, actor=None)


def test_a_large_purchase_is_split_into_tokens_each_advancing_the_count(tenant_a, make_meter):
    meter = make_meter(tenant_a)
    assert token_values_for_energy(meter=meter, energy_wh=250_000) == [995, 995, 510]
    tokens = issue_sale_tokens(meter, 250_000)
    assert [t.count for t in tokens] == [2, 4, 6]  # ADD_TIME tokens use even counts
    last = 1
    for token, value in zip(tokens, [995, 995, 510], strict=True):
        assert library_decode(meter, token, last_count=last) == (
            value,
            openpaygo.TokenType.ADD_TIME,
            token.count,
        )
        last = token.count
    meter.refresh_from_db()
    assert meter.token_count == 6


@pytest.mark.parametrize("options", [{"restricted_digit_set": True}, {"extended_tokens": True}])
def test_restricted_digits_and_extended_tokens_decode(tenant_a, make_meter, options):
    meter = make_meter(tenant_a, energy_step_wh=1_000, **options)
    (token,) = issue_sale_tokens(meter, 50_000)
    if options.get("restricted_digit_set"):
        assert set(token.token) <= set("1234") and len(token.token) == 15
    if options.get("extended_tokens"):
        assert len(token.token) == 12
    assert library_decode(meter, token, last_count=1) == (50, openpaygo.TokenType.ADD_TIME, 2)
    assert token.value == 50 and token.energy_wh == 50_000


def test_extended_tokens_carry_up_to_999999_steps(tenant_a, make_meter):
    meter = make_meter(tenant_a, extended_tokens=True)
    assert token_values_for_energy(meter=meter, energy_wh=100_000_000) == [999_999, 1]


def test_decode_reports_type_value_count_and_the_issued_token(tenant_a, make_meter):
    meter = make_meter(tenant_a)
    tokens = [issue_sale_tokens(meter, 1_000 * n)[0] for n in range(1, 80)]  # counts 2 … 158
    meter.refresh_from_db()
    for token in (tokens[0], tokens[40], tokens[-1]):
        decoded = token_decode(meter=meter, token=token.token)
        assert decoded == {
            "token_type": "ADD_TIME",
            "value": token.value,
            "count": token.count,
            "energy_wh": token.energy_wh,
            "matches": token.public_id,
            "status": "issued",
            "sale": None,  # issue_sale_tokens issues them without a sale row
        }
    with pytest.raises(ValidationFailed) as exc:
        token_decode(meter=meter, token="987 654 321")
    assert "not a valid token" in exc.value.fields["token"][0]


def test_management_tokens_need_a_reason_and_the_permission(tenant_a, make_account, make_staff, alice):
    account = make_account(tenant_a)
    meter = account.meter
    support = staff_access_for_tenant(make_staff(StaffRole.CUSTOMER_SUPPORT), tenant_a)
    cashier = staff_access_for_tenant(make_staff(StaffRole.CASHIER), tenant_a)
    with pytest.raises(PermissionDenied):
        token_issue_management(access=cashier, meter=meter, token_type="ADD_TIME", value=5, reason="x")
    with pytest.raises(ValidationFailed) as exc:
        token_issue_management(access=support, meter=meter, token_type="SET_TIME", value=None, reason=" ")
    assert set(exc.value.fields) == {"value", "reason"}
    with pytest.raises(ValidationFailed) as exc:
        token_issue_management(access=support, meter=meter, token_type="DISABLE_PAYG", value=3, reason="r")
    assert "value" in exc.value.fields
    assert Token.objects.count() == 0

    set_time = token_issue_management(
        access=support, meter=meter, token_type="SET_TIME", value=120, reason="Meter replaced"
    )
    unlock = token_issue_management(
        access=support, meter=meter, token_type="DISABLE_PAYG", value=None, reason="Paid off"
    )
    sync = token_issue_management(
        access=support, meter=meter, token_type="COUNTER_SYNC", value=None, reason="Sync"
    )
    assert [set_time.count, unlock.count, sync.count] == [3, 5, 7]  # odd counts for these types
    value, kind, count, _ = openpaygo.decode_token(
        token=sync.token, secret_key=METER_KEY_HEX, count=5, used_counts=[], starting_code=METER_STARTING_CODE
    )
    assert (kind, count) == (openpaygo.TokenType.COUNTER_SYNC, 7)
    meter.refresh_from_db()
    assert token_decode(meter=meter, token=unlock.token)["token_type"] == TokenType.DISABLE_PAYG
    assert token_decode(meter=meter, token=set_time.token)["value"] == 120
    assert AccountNote.objects.filter(account=account, action="token_issue").count() == 3
    assert AccountEvent.objects.filter(account=account, action="token_issue").count() == 3


def test_another_tenants_meter_is_not_found(tenant_a, tenant_b, make_meter, bob):
    meter = make_meter(tenant_a)
    access = staff_access_for_tenant(bob, tenant_b)
    with pytest.raises(NotFound):
        token_issue_management(access=access, meter=meter, token_type="COUNTER_SYNC", value=None, reason="x")


def test_secret_key_is_validated_and_stored_encrypted(tenant_a, make_meter):
    meter = make_meter(tenant_a)
    with pytest.raises(ValidationFailed) as exc:
        meter_secret_set(meter=meter, secret_hex="xyz")
    assert "openpaygo_secret_key" in exc.value.fields
    meter_secret_set(meter=meter, secret_hex="00112233445566778899AABBCCDDEEFF")
    meter.refresh_from_db()
    assert "00112233" not in meter.openpaygo_secret_key
    assert decrypt_secret(meter.openpaygo_secret_key) == "00112233445566778899aabbccddeeff"
