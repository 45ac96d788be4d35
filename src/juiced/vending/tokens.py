"""Tokens: OpenPAYGO Token through the `openpaygo` library (docs/vending.md, "Tokens").

A meter holds its secret key (hex, encrypted at rest), starting code, the last count used, and its options
(restricted digit set, extended tokens, the energy one value step represents). Every token advances the
count; the count is read and written under the meter's row lock (`select_for_update`), so two cashiers
selling on one meter at once can never get the same count (the unique index on (meter, count) backs it).

`token_issue` is the one function that turns (meter, type, value) into a code: an STS (IEC 62055-41)
generator would be a second implementation of it chosen by `meter.token_standard`.
"""

from __future__ import annotations

import re
from typing import Any

import openpaygo
from django.db import transaction
from django.utils import timezone
from openpaygo.token_shared import OpenPAYGOTokenShared
from openpaygo.token_shared_extended import OpenPAYGOTokenSharedExtended

from juiced.core.crypto import decrypt_secret, encrypt_secret
from juiced.core.errors import InvalidState, NotFound, ValidationFailed
from juiced.vending.history import account_record
from juiced.vending.models import Account, AccountNote, AccountStatus, Meter, Token, TokenStandard, TokenType

MAX_STANDARD_VALUE = OpenPAYGOTokenShared.MAX_ACTIVATION_VALUE  # 995 steps in a standard token
MAX_EXTENDED_VALUE = OpenPAYGOTokenSharedExtended.MAX_ACTIVATION_VALUE  # 999 999 in an extended token
DECODE_WINDOW = 64  # the library decoder looks at most 64 counts past the last count it is given

_LIBRARY_TYPES = {
    TokenType.ADD_TIME: openpaygo.TokenType.ADD_TIME,
    TokenType.SET_TIME: openpaygo.TokenType.SET_TIME,
    TokenType.DISABLE_PAYG: openpaygo.TokenType.DISABLE_PAYG,
    TokenType.COUNTER_SYNC: openpaygo.TokenType.COUNTER_SYNC,
}
_OUR_TYPES = {number: name for name, number in _LIBRARY_TYPES.items()}
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{32}$")
VALUE_TYPES = (TokenType.ADD_TIME, TokenType.SET_TIME)


def meter_secret_set(*, meter: Meter, secret_hex: str) -> None:
    """Store the meter's OpenPAYGO secret key (32 hex characters) encrypted; saves a meter that exists."""
    secret = (secret_hex or "").strip()
    if not _HEX_KEY.match(secret):
        raise ValidationFailed.on("openpaygo_secret_key", "The secret key must be 32 hexadecimal characters.")
    meter.openpaygo_secret_key = encrypt_secret(secret.lower())
    if meter.pk is not None:
        meter.save(update_fields=["openpaygo_secret_key", "updated_at"])


def max_token_value(meter: Meter) -> int:
    return MAX_EXTENDED_VALUE if meter.extended_tokens else MAX_STANDARD_VALUE


def token_values_for_energy(*, meter: Meter, energy_wh: int) -> list[int]:
    """The ADD_TIME values (energy steps) that carry `energy_wh`: one token, or several when it is too big."""
    steps = energy_wh // meter.energy_step_wh
    maximum = max_token_value(meter)
    values = [maximum] * (steps // maximum)
    if steps % maximum:
        values.append(steps % maximum)
    return values


def _secret(meter: Meter) -> str:
    secret = decrypt_secret(meter.openpaygo_secret_key)
    if not secret:
        raise ValidationFailed.on("meter", f"Meter {meter.serial_number} has no OpenPAYGO secret key.")
    return secret


def lock_meter(meter_id: int) -> Meter:
    """The meter row, locked until the transaction ends (its token count is about to change)."""
    return Meter.objects.select_for_update().get(pk=meter_id)


def token_next(
    *,
    meter: Meter,
    token_type: str,
    value: int | None,
    sale: Any = None,
    reason: str = "",
    actor: Any = None,
    secret: str | None = None,
) -> Token:
    """The meter's next token as an unsaved row; advances `meter.token_count` in memory only.

    The caller holds the meter's row lock and writes the row and the new count in its transaction.
    """
    if meter.token_standard != TokenStandard.OPENPAYGO:
        raise InvalidState(f"Tokens of the {meter.token_standard} standard cannot be generated here.")
    if not transaction.get_connection().in_atomic_block:
        raise InvalidState("Tokens are issued inside the service's transaction, under the meter's lock.")
    new_count, code = openpaygo.generate_token(
        secret_key=secret or _secret(meter),
        count=meter.token_count,
        value=value if token_type in VALUE_TYPES else None,
        token_type=_LIBRARY_TYPES[token_type],
        starting_code=meter.openpaygo_starting_code,
        restricted_digit_set=meter.restricted_digit_set,
        extended_token=meter.extended_tokens,
    )
    meter.token_count = new_count
    return Token(
        tenant_id=meter.tenant_id,
        meter=meter,
        sale=sale,
        token_type=token_type,
        value=value if token_type in VALUE_TYPES else None,
        energy_wh=(value or 0) * meter.energy_step_wh if token_type in VALUE_TYPES else 0,
        count=new_count,
        token=code,
        reason=reason[:300],
        issued_by=actor,
    )


def token_issue(
    *, meter: Meter, token_type: str, value: int | None, sale: Any = None, reason: str = "", actor: Any = None
) -> Token:
    """Generate the meter's next token and record it; the caller holds the meter's row lock (`lock_meter`)."""
    token = token_next(meter=meter, token_type=token_type, value=value, sale=sale, reason=reason, actor=actor)
    token.save()
    Meter.objects.filter(pk=meter.pk).update(token_count=meter.token_count, updated_at=timezone.now())
    return token


def sale_tokens_next(*, meter: Meter, sale: Any, energy_wh: int, actor: Any) -> list[Token]:
    """The unsaved ADD_TIME token(s) of a sale, each advancing the count in memory (caller holds the lock)."""
    values = token_values_for_energy(meter=meter, energy_wh=energy_wh)
    secret = _secret(meter) if values else None
    return [
        token_next(
            meter=meter, token_type=TokenType.ADD_TIME, value=value, sale=sale, actor=actor, secret=secret
        )
        for value in values
    ]


def tokens_for_sale(*, meter: Meter, sale: Any, energy_wh: int, actor: Any) -> list[Token]:
    """The ADD_TIME token(s) of a sale, each advancing the count (caller holds the meter lock)."""
    return [
        token_issue(meter=meter, token_type=TokenType.ADD_TIME, value=value, sale=sale, actor=actor)
        for value in token_values_for_energy(meter=meter, energy_wh=energy_wh)
    ]


def token_issue_management(
    *, access: Any, meter: Meter, token_type: str, value: int | None, reason: str
) -> Token:
    """A support token (ADD_TIME/SET_TIME with a value, DISABLE_PAYG/COUNTER_SYNC without) with a reason."""
    access.require("vending.tokens.manage")
    if meter.tenant_id != access.tenant.pk:
        raise NotFound("No such meter.")
    errors: dict[str, list[str]] = {}
    if token_type not in TokenType.values:
        errors["token_type"] = ["Choose ADD_TIME, SET_TIME, DISABLE_PAYG or COUNTER_SYNC."]
    elif token_type in VALUE_TYPES:
        maximum = max_token_value(meter)
        minimum = 1 if token_type == TokenType.ADD_TIME else 0
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            errors["value"] = [f"Enter the value in energy steps ({minimum} to {maximum})."]
        elif not minimum <= value <= maximum:
            errors["value"] = [f"The value must be from {minimum} to {maximum} energy steps."]
    elif value not in (None, ""):
        errors["value"] = [f"A {token_type} token carries no value."]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["A reason is required for a management token."]
    if errors:
        raise ValidationFailed("Some fields are invalid.", fields=errors)
    with transaction.atomic():
        locked = lock_meter(meter.pk)
        token = token_issue(
            meter=locked, token_type=token_type, value=value, reason=reason, actor=access.user
        )
        account = Account.objects.filter(meter=locked, status=AccountStatus.ACTIVE).first()
        if account is not None:
            what = f"{token_type} token" + (f" ({value} steps)" if token_type in VALUE_TYPES else "")
            AccountNote.objects.create(
                tenant_id=account.tenant_id,
                account=account,
                author=access.user,
                body=f"{what}, count {token.count}: {reason}",
                action="token_issue",
            )
            account_record(
                account=account,
                actor=access.user,
                action="token_issue",
                summary=f"{what} issued for meter {locked.serial_number} (count {token.count}): {reason}",
            )
    meter.token_count = locked.token_count
    return token


def _clean_code(token: str) -> str:
    return re.sub(r"[\s\-]", "", token or "")


def _library_decode(meter: Meter, secret: str, code: str, last_count: int) -> tuple[Any, int, Any]:
    try:
        value, kind, count, _used = openpaygo.decode_token(
            token=code,
            secret_key=secret,
            count=last_count,
            used_counts=[],
            starting_code=meter.openpaygo_starting_code,
            restricted_digit_set=meter.restricted_digit_set,
        )
    except UnboundLocalError:
        # openpaygo 0.x: the extended decoder reads an unset flag when nothing matches at all.
        return None, openpaygo.TokenType.INVALID, None
    except ValueError as exc:
        raise ValidationFailed.on("token", str(exc)) from exc
    return value, kind, count


def token_decode(*, meter: Meter, token: str) -> dict:
    """What a token carries (type, value, count, energy) by the library decoder, and which Token it is.

    The decoder accepts a count above the last count it is given (up to 64 further); it is given windows
    of 64 counts from the meter's current count downwards until the token's count is found.
    """
    code = _clean_code(token)
    if not code.isdigit():
        raise ValidationFailed.on("token", "Enter the token's digits.")
    secret = _secret(meter)
    last_count = meter.token_count - 1
    while True:
        value, kind, count = _library_decode(meter, secret, code, last_count)
        if kind != openpaygo.TokenType.ALREADY_USED or last_count < 0:
            break
        last_count = max(last_count - DECODE_WINDOW, -1)
    if kind not in _OUR_TYPES:
        raise ValidationFailed.on("token", f"This is not a valid token for meter {meter.serial_number}.")
    token_type = _OUR_TYPES[kind]
    value = int(value) if token_type in VALUE_TYPES and value is not None else None
    issued = Token.objects.filter(meter=meter, count=count, token=code).select_related("sale").first()
    return {
        "token_type": token_type,
        "value": value,
        "count": count,
        "energy_wh": (value or 0) * meter.energy_step_wh if token_type in VALUE_TYPES else 0,
        "matches": issued.public_id if issued else None,
        "status": issued.status if issued else None,
        "sale": issued.sale.public_id if issued and issued.sale_id else None,
    }
