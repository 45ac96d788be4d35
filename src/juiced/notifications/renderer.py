"""Our own small template renderer: `{{ namespace.name }}` substitution over a whitelist, nothing else.

Tenant-written text is never given to Django's template engine. A placeholder is a known namespace and a
known attribute name from `catalog.VARIABLES` (or a top-level name from `catalog.TOP_LEVEL`); anything
else is rejected when a template is saved (`template_errors`) and, should it ever reach the renderer,
left in the output as inert text. Values are looked up as dict keys, or as plain attributes of an object
when the name is whitelisted, so `{{ customer.__class__ }}` can never resolve.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from juiced.core.money import format_money
from juiced.notifications.catalog import MONEY_KEYS, TOP_LEVEL, TYPE_NAMESPACES, VARIABLES

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
NAME = re.compile(r"^\s*([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?\s*$")
TAG = re.compile(r"\{%|%\}|\{#|#\}")


def allowed_names(notification_type: str) -> set[str]:
    names = set(TOP_LEVEL)
    for namespace in TYPE_NAMESPACES.get(notification_type, ()):
        names.update(f"{namespace}.{attr}" for attr in VARIABLES[namespace])
    return names


def _parse(raw: str) -> str | None:
    match = NAME.match(raw)
    if not match:
        return None
    namespace, attr = match.groups()
    return f"{namespace}.{attr}" if attr else namespace


def template_errors(text: str, notification_type: str) -> list[str]:
    """Messages for everything in `text` the renderer would not substitute (empty when it is valid)."""
    errors: list[str] = []
    if TAG.search(text):
        errors.append(
            "Template tags ({% … %}) and comments ({# … #}) are not supported; use {{ variables }}."
        )
    allowed = allowed_names(notification_type)
    unknown: list[str] = []
    for raw in PLACEHOLDER.findall(text):
        name = _parse(raw)
        shown = name or raw.strip()
        if (name is None or name not in allowed) and shown not in unknown:
            unknown.append(shown)
    if unknown:
        errors.append("Unknown variable(s): " + ", ".join("{{ " + name + " }}" for name in unknown) + ".")
    if text.count("{{") != len(PLACEHOLDER.findall(text)):
        errors.append("A {{ is not closed with }}.")
    return errors


def _lookup(context: Mapping[str, Any], name: str, currency: str) -> str | None:
    namespace, _, attr = name.partition(".")
    if not attr:
        if namespace not in TOP_LEVEL:
            return None
        value = context.get(namespace, "")
    else:
        if attr not in VARIABLES.get(namespace, ()):
            return None
        source = context.get(namespace)
        if source is None:
            value = ""
        elif isinstance(source, Mapping):
            value = source.get(attr, "")
        else:
            value = getattr(source, attr, "")  # attr is a whitelisted plain name, never dunder
    if value is None:
        return ""
    if attr in MONEY_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return format_money(value, currency)
    return str(value)


def render(text: str, context: Mapping[str, Any], *, currency: str = "USD") -> str:
    """Substitute every known placeholder; unknown ones stay as typed (inert)."""

    def substitute(match: re.Match[str]) -> str:
        name = _parse(match.group(1))
        if name is None:
            return match.group(0)
        value = _lookup(context, name, currency)
        return match.group(0) if value is None else value

    return PLACEHOLDER.sub(substitute, text)
