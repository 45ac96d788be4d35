"""The tenant's marketplace settings (one LeadSettings row per tenant, created on first read)."""

from __future__ import annotations

from typing import Any

from juiced.leads.models import LeadSettings


def lead_settings_for(tenant: Any) -> LeadSettings:
    """The tenant's settings, with defaults saved on first use (`tenant` may be a Tenant or its id)."""
    tenant_id = getattr(tenant, "pk", tenant)
    found = LeadSettings.objects.filter(tenant_id=tenant_id).first()
    if found is not None:
        return found
    settings, _created = LeadSettings.objects.get_or_create(tenant_id=tenant_id)
    return settings
