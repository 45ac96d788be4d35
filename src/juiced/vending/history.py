"""The account's history (its Audit tab): every service that changes an account calls `account_record`."""

from __future__ import annotations

from typing import Any

from juiced.core.audit import actor_label_for
from juiced.vending.models import Account, AccountEvent


def _plain(value: Any) -> Any:
    """JSON-safe form of a changed value (model instances by their public id or str)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return getattr(value, "public_id", None) or str(value)


def account_record(
    *,
    account: Account,
    actor: Any,
    action: str,
    summary: str,
    changes: dict[str, list[Any]] | None = None,
) -> AccountEvent:
    """Record one history entry (call inside the service's transaction)."""
    return AccountEvent.objects.create(
        tenant_id=account.tenant_id,
        account=account,
        actor=actor,
        actor_label=actor_label_for(actor),
        action=action,
        summary=summary[:300],
        changes={field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()},
    )
