"""`{% unread_notifications_badge %}`: the unread in-app count next to the portal's Notifications link."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from juiced.notifications.services import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications_badge(context) -> str:
    request = context.get("request")
    portal = getattr(request, "portal", None)
    if portal is None:
        return ""
    count = unread_count(portal.customer)
    if not count:
        return ""
    label = f"{count} unread"
    return format_html(
        '<span class="badge warn" data-testid="unread-count" title="{}">{}</span>', label, count
    )
