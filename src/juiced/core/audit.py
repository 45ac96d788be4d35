"""Write audit entries; every service that changes tenant data calls `audit_record`."""

from __future__ import annotations

from typing import Any

from juiced.core.models import AuditEntry


def actor_label_for(actor: Any) -> str:
    if actor is None:
        return "System"
    name = getattr(actor, "name", "") or ""
    return f"{name} <{actor.email}>" if name else actor.email


def audit_record(
    *,
    tenant: Any,
    actor: Any,
    action: str,
    summary: str,
    customer: Any = None,
    changes: dict[str, list[Any]] | None = None,
    receipt_url: str = "",
) -> AuditEntry:
    """Record one audit entry (call inside the service's transaction)."""
    return AuditEntry.objects.create(
        tenant=tenant,
        customer=customer,
        actor=actor,
        actor_label=actor_label_for(actor),
        action=action,
        summary=summary[:300],
        changes=changes or {},
        receipt_url=receipt_url,
    )


def diff_fields(instance: Any, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for each field in `data` whose value differs from `instance`."""
    changes: dict[str, list[Any]] = {}
    for field, new in data.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [old, new]
    return changes
