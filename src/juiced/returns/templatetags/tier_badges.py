"""Template helpers for return-tier badges: `{{ tier.icon|tier_icon }}` and `{{ value|pct }}`."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from juiced.returns.icons import icon_svg

register = template.Library()


@register.filter
def tier_icon(name: str) -> SafeString:
    return icon_svg(name or "")


@register.filter
def pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f} %"
