"""Lead type matching: ordered condition groups over lead values. Pure functions, no ORM.

A lead type's `conditions` is a list of groups; a group is a list of conditions
`{"field": key, "op": op, "value": v}`. A group matches when all its conditions hold (AND); a type matches
when any group matches (OR). A type with no groups matches nothing except as the category's fallback.
Types are tried in order; the first match wins; then the fallback; else the lead is Uncategorized (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

OPS: dict[str, str] = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "not_in": "is not one of",
    "contains": "contains",
    "starts_with": "starts with",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "is_set": "is present",
    "is_not_set": "is absent",
}
LIST_OPS = frozenset({"in", "not_in"})
NO_VALUE_OPS = frozenset({"is_set", "is_not_set"})
NUMBER_OPS = frozenset({"gt", "gte", "lt", "lte"})


@dataclass(frozen=True)
class TypeRule:
    """What matching needs of one lead type: an opaque id, its groups, and whether it is the fallback."""

    id: Any
    groups: list[list[dict[str, Any]]]
    is_fallback: bool = False


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value).strip().casefold()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def condition_holds(condition: dict[str, Any], values: dict[str, Any]) -> bool:
    op = condition.get("op", "equals")
    present = condition.get("field") in values and values[condition["field"]] not in (None, "", [])
    if op == "is_set":
        return present
    if op == "is_not_set":
        return not present
    if not present:
        return op in ("not_equals", "not_in")
    actual = values[condition["field"]]
    expected = condition.get("value")
    if op in NUMBER_OPS:
        a, b = _number(actual), _number(expected)
        if a is None or b is None:
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
    if op in LIST_OPS:
        options = {_text(v) for v in (expected if isinstance(expected, list) else [expected])}
        actual_items = actual if isinstance(actual, list) else [actual]
        hit = any(_text(item) in options for item in actual_items)
        return hit if op == "in" else not hit
    if isinstance(actual, list):  # multi-select: equals/contains mean "includes"
        hit = any(_text(item) == _text(expected) for item in actual)
        return not hit if op == "not_equals" else hit
    if op == "equals":
        return _text(actual) == _text(expected)
    if op == "not_equals":
        return _text(actual) != _text(expected)
    if op == "contains":
        return _text(expected) in _text(actual)
    if op == "starts_with":
        return _text(actual).startswith(_text(expected))
    return False


def group_matches(group: list[dict[str, Any]], values: dict[str, Any]) -> bool:
    return bool(group) and all(condition_holds(c, values) for c in group)


def type_matches(rule: TypeRule, values: dict[str, Any]) -> bool:
    return any(group_matches(group, values) for group in rule.groups)


def match_lead_type(rules: list[TypeRule], values: dict[str, Any]) -> Any:
    """The id of the first rule (in the given order) whose groups match, else the fallback's, else None."""
    fallback = None
    for rule in rules:
        if rule.is_fallback and fallback is None:
            fallback = rule.id
        if type_matches(rule, values):
            return rule.id
    return fallback


def validate_conditions(groups: Any, field_keys: set[str]) -> list[str]:
    """Messages for a malformed `conditions` value (empty list when it is fine)."""
    if not isinstance(groups, list):
        return ["Conditions must be a list of groups."]
    errors: list[str] = []
    for g, group in enumerate(groups, start=1):
        if not isinstance(group, list) or not group:
            errors.append(f"Group {g} must have at least one condition.")
            continue
        for c, condition in enumerate(group, start=1):
            where = f"Group {g}, condition {c}"
            if not isinstance(condition, dict):
                errors.append(f"{where}: must be an object with field, op and value.")
                continue
            if condition.get("field") not in field_keys:
                errors.append(f"{where}: choose a field of this category.")
            op = condition.get("op")
            if op not in OPS:
                errors.append(f"{where}: unknown operator {op!r}.")
                continue
            value = condition.get("value")
            if op in NO_VALUE_OPS:
                continue
            if op in LIST_OPS and not (isinstance(value, list) and value):
                errors.append(f"{where}: give at least one value.")
            elif op in NUMBER_OPS and _number(value) is None:
                errors.append(f"{where}: give a number.")
            elif op not in LIST_OPS and (value is None or str(value).strip() == ""):
                errors.append(f"{where}: give a value.")
    return errors
