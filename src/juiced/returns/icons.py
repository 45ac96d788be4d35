"""The curated badge icons shipped with the product: inline SVG (24×24, stroke = currentColor), by name."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

_SVG = (
    '<svg class="tier-icon" viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">'
    "{}</svg>"
)

ICONS: dict[str, tuple[str, str]] = {
    "star": ("Star", '<path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1L3.2 9.5l6.1-.9z"/>'),
    "crown": ("Crown", '<path d="M3 18h18M4 16l-1-9 5 4 4-7 4 7 5-4-1 9z"/>'),
    "trophy": (
        "Trophy",
        '<path d="M8 21h8M12 17v4M7 4h10v5a5 5 0 0 1-10 0zM7 6H4v2a3 3 0 0 0 3 3M17 6h3v2a3 3 0 0 1-3 3"/>',
    ),
    "medal": ("Medal", '<circle cx="12" cy="15" r="5"/><path d="M8.5 11L6 3h4l2 5 2-5h4l-2.5 8"/>'),
    "leaf": ("Leaf", '<path d="M5 19c0-9 6-14 15-14 0 9-5 15-14 15zM5 19l7-7"/>'),
    "sun": (
        "Sun",
        '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M2 12h2M20 12h2M5 5l1.5 1.5M17.5 17.5L19 19'
        'M5 19l1.5-1.5M17.5 6.5L19 5"/>',
    ),
    "shield": ("Shield", '<path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/>'),
    "check": ("Check", '<circle cx="12" cy="12" r="9"/><path d="M8 12l3 3 5-6"/>'),
    "flag": ("Flag", '<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>'),
    "alert": ("Warning", '<path d="M12 3l10 18H2zM12 10v4M12 17.5v.5"/>'),
    "flame": (
        "Flame",
        '<path d="M12 21a6 6 0 0 0 6-6c0-4-3-6-4-10-2 2-3 4-3 6-1-1-2-2-2-3-2 2-3 4-3 7a6 6 0 0 0 6 6z"/>',
    ),
    "skull": (
        "Skull",
        '<path d="M12 3a8 8 0 0 0-8 8c0 3 1.5 4.5 3 5.5V20h10v-3.5c1.5-1 3-2.5 3-5.5a8 8 0 0 0-8-8z"/>'
        '<circle cx="9" cy="11" r="1.5"/><circle cx="15" cy="11" r="1.5"/><path d="M10 20v-2M14 20v-2"/>',
    ),
}

DEFAULT_ICON = "star"


def icon_choices() -> list[tuple[str, str]]:
    """(name, label) pairs of the curated set, in catalogue order."""
    return [(name, label) for name, (label, _paths) in ICONS.items()]


def icon_svg(name: str) -> SafeString:
    """The inline SVG of icon `name` (the default icon for an unknown name)."""
    _label, paths = ICONS.get(name) or ICONS[DEFAULT_ICON]
    return mark_safe(_SVG.format(paths))  # noqa: S308 - constant markup written in this module
