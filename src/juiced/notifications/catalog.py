"""What Juiced ships: the groups of types, the variables each type may use, sample data for previews, and
default templates."""

from __future__ import annotations

from dataclasses import dataclass

from juiced.notifications.models import NotificationCategory as C
from juiced.notifications.models import NotificationType as T

# The one grouping of types, in display order: the contact edit page (dashboard and portal), the
# settings page and the API's `category` all read it. Juiced's four groups; payments and archive/restore
# are account events, so they join Account notifications rather than a fifth group.
CATEGORIES: dict[str, tuple[str, ...]] = {
    C.LEAD: (T.LEAD_ASSIGNED, T.RETURN_APPROVED, T.RETURN_REJECTED),
    C.BID: (T.OUTBID, T.BID_MATCHED, T.UNDER_FUNDED_BIDS),
    C.ACCOUNT: (
        T.ACCOUNT_PAUSED,
        T.ACCOUNT_UNPAUSED,
        T.ACCOUNT_ARCHIVED,
        T.ACCOUNT_RESTORED,
        T.RETURN_TIER_UPDATED,
        T.PAYMENT_SUCCESSFUL,
        T.PAYMENT_FAILED,
    ),
    C.MARKETPLACE: (T.BUY_ORDER_EXCEEDED, T.BUY_ORDER_REINSTATED),
}
TYPE_CATEGORY: dict[str, str] = {t: category for category, types in CATEGORIES.items() for t in types}

# namespace → the attribute names a template may read from it (the renderer's whitelist).
VARIABLES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "email", "phone", "address", "city", "state", "zip"),
    "tenant": ("name",),
    "lead": (
        "public_id",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "address_1",
        "address_2",
        "city",
        "state",
        "zip",
        "lead_type",
        "price",
    ),
    "bid": ("public_id", "amount", "lead_type", "status"),
    "buy_order": ("public_id", "amount", "scope", "status"),
    "tier": ("name", "discount_percentage", "penalty_percentage"),
    "return": ("public_id", "reason", "note"),
    "transaction": ("public_id", "amount", "kind", "description", "balance"),
    "payment": ("public_id", "amount", "fee", "total", "kind", "method", "error"),
    "contact": ("name", "value"),
}
# Plain names (no namespace) every template may use.
TOP_LEVEL = ("action_link",)
# Keys holding integer cents: the renderer formats them in the tenant's currency.
MONEY_KEYS = frozenset({"amount", "balance", "price", "fee", "total"})

COMMON = ("customer", "tenant", "contact")
TYPE_NAMESPACES: dict[str, tuple[str, ...]] = {
    T.LEAD_ASSIGNED: (*COMMON, "lead", "transaction"),
    T.OUTBID: (*COMMON, "lead", "bid"),
    T.BID_MATCHED: (*COMMON, "lead", "bid"),
    T.BUY_ORDER_EXCEEDED: (*COMMON, "lead", "buy_order"),
    T.BUY_ORDER_REINSTATED: (*COMMON, "lead", "buy_order"),
    T.ACCOUNT_PAUSED: COMMON,
    T.ACCOUNT_UNPAUSED: COMMON,
    T.ACCOUNT_ARCHIVED: COMMON,
    T.ACCOUNT_RESTORED: COMMON,
    T.RETURN_APPROVED: (*COMMON, "lead", "transaction"),
    T.RETURN_REJECTED: (*COMMON, "lead", "return"),
    T.RETURN_TIER_UPDATED: (*COMMON, "tier"),
    T.PAYMENT_FAILED: (*COMMON, "payment", "transaction"),
    T.PAYMENT_SUCCESSFUL: (*COMMON, "payment", "transaction"),
    T.UNDER_FUNDED_BIDS: (*COMMON, "bid"),
}

SAMPLE: dict[str, dict[str, object]] = {
    "customer": {
        "name": "Sample Insurance Co.",
        "email": "ops@sample.test",
        "phone": "+15555550100",
        "address": "1 Main Street",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
    },
    "tenant": {"name": "Sample Leads"},
    "contact": {"name": "Jane Smith", "value": "jane@sample.test"},
    "lead": {
        "public_id": "led_01jsample0000000000000000",
        "full_name": "John Doe",
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.test",
        "phone": "+15555550123",
        "address_1": "42 Elm Street",
        "address_2": "",
        "city": "Springfield",
        "state": "IL",
        "zip": "62704",
        "lead_type": "Auto insurance",
        "price": 2500,
    },
    "bid": {
        "public_id": "bid_01jsample0000000000000000",
        "amount": 2750,
        "lead_type": "Auto insurance",
        "status": "active",
    },
    "buy_order": {
        "public_id": "bor_01jsample0000000000000000",
        "amount": 1800,
        "scope": "Auto insurance",
        "status": "exceeded",
    },
    "tier": {"name": "Gold", "discount_percentage": "5.00", "penalty_percentage": "0.00"},
    "return": {
        "public_id": "ret_01jsample0000000000000000",
        "reason": "Wrong or disconnected phone number",
        "note": "We reached the lead on the number given.",
    },
    "transaction": {
        "public_id": "txn_01jsample0000000000000000",
        "amount": 10000,
        "kind": "deposit",
        "description": "Card deposit",
        "balance": 25000,
    },
    "payment": {
        "public_id": "pay_01jsample0000000000000000",
        "amount": 10000,
        "fee": 300,
        "total": 10300,
        "kind": "deposit",
        "method": "Visa •••• 4242",
        "error": "Your card was declined.",
    },
    "action_link": "https://example.test/app/",
}


@dataclass(frozen=True)
class Default:
    subject: str
    email: str
    sms: str
    visible: bool = True
    default_on: bool = True


_SIGN = "\n\n{{ action_link }}\n\n{{ tenant.name }}"
DEFAULTS: dict[str, Default] = {
    T.LEAD_ASSIGNED: Default(
        "New lead: {{ lead.full_name }}",
        "Hello {{ customer.name }},\n\nA new {{ lead.lead_type }} lead was assigned to you: "
        "{{ lead.full_name }}, "
        "{{ lead.phone }}, {{ lead.email }}. Price: {{ lead.price }}." + _SIGN,
        "New lead {{ lead.full_name }} {{ lead.phone }} ({{ lead.lead_type }}, {{ lead.price }})",
    ),
    T.OUTBID: Default(
        "You were outbid on {{ bid.lead_type }}",
        "Hello {{ customer.name }},\n\nAnother buyer outbid your {{ bid.amount }} bid on "
        "{{ bid.lead_type }} leads. Raise your bid to keep receiving them." + _SIGN,
        "Outbid on {{ bid.lead_type }} (your bid {{ bid.amount }}).",
    ),
    T.BID_MATCHED: Default(
        "Your bid on {{ bid.lead_type }} was matched",
        "Hello {{ customer.name }},\n\nAnother buyer matched your {{ bid.amount }} bid on "
        "{{ bid.lead_type }} leads." + _SIGN,
        "Your {{ bid.amount }} bid on {{ bid.lead_type }} was matched.",
    ),
    T.BUY_ORDER_EXCEEDED: Default(
        "Your buy order was exceeded",
        "Hello {{ customer.name }},\n\nYour {{ buy_order.amount }} buy order on {{ buy_order.scope }} "
        "was exceeded by another buyer; its funds were released." + _SIGN,
        "Buy order {{ buy_order.amount }} on {{ buy_order.scope }} exceeded.",
    ),
    T.BUY_ORDER_REINSTATED: Default(
        "Your buy order is the highest again",
        "Hello {{ customer.name }},\n\nYour {{ buy_order.amount }} buy order on {{ buy_order.scope }} "
        "is the highest again." + _SIGN,
        "Buy order {{ buy_order.amount }} on {{ buy_order.scope }} is highest again.",
    ),
    T.ACCOUNT_PAUSED: Default(
        "Your account is paused",
        "Hello {{ customer.name }},\n\nYour account was paused: no leads will be assigned until it is "
        "unpaused." + _SIGN,
        "{{ tenant.name }}: your account is paused; no leads until it is unpaused.",
    ),
    T.ACCOUNT_UNPAUSED: Default(
        "Your account is active again",
        "Hello {{ customer.name }},\n\nYour account was unpaused: leads can be assigned again." + _SIGN,
        "{{ tenant.name }}: your account is active again.",
    ),
    T.ACCOUNT_ARCHIVED: Default(
        "Your account was archived",
        "Hello {{ customer.name }},\n\nYour account was archived. Your history is kept; contact us to "
        "restore it." + _SIGN,
        "{{ tenant.name }}: your account was archived.",
    ),
    T.ACCOUNT_RESTORED: Default(
        "Your account was restored",
        "Hello {{ customer.name }},\n\nYour account was restored from the archive." + _SIGN,
        "{{ tenant.name }}: your account was restored.",
    ),
    T.RETURN_APPROVED: Default(
        "Return approved: {{ lead.full_name }}",
        "Hello {{ customer.name }},\n\nYour return of lead {{ lead.full_name }} ({{ lead.public_id }}) "
        "was approved; {{ transaction.amount }} was credited to your wallet." + _SIGN,
        "Return of {{ lead.full_name }} approved: {{ transaction.amount }} credited.",
    ),
    T.RETURN_REJECTED: Default(
        "Return rejected: {{ lead.full_name }}",
        "Hello {{ customer.name }},\n\nYour return of lead {{ lead.full_name }} ({{ lead.public_id }}) "
        "was not approved: {{ return.note }}" + _SIGN,
        "Return of {{ lead.full_name }} not approved: {{ return.note }}",
    ),
    T.RETURN_TIER_UPDATED: Default(
        "Your return tier is now {{ tier.name }}",
        "Hello {{ customer.name }},\n\nYour return tier is now {{ tier.name }}: "
        "{{ tier.discount_percentage }}% discount, {{ tier.penalty_percentage }}% penalty." + _SIGN,
        "Your return tier is now {{ tier.name }}.",
        default_on=False,
    ),
    T.PAYMENT_FAILED: Default(
        "Payment of {{ payment.amount }} failed",
        "Hello {{ customer.name }},\n\nA payment of {{ payment.amount }} with {{ payment.method }} failed: "
        "{{ payment.error }}\n\nPlease update your payment method." + _SIGN,
        "Payment of {{ payment.amount }} failed: {{ payment.error }}",
    ),
    T.PAYMENT_SUCCESSFUL: Default(
        "Payment of {{ payment.amount }} received",
        "Hello {{ customer.name }},\n\nWe received your payment of {{ payment.amount }} with "
        "{{ payment.method }}. It was added to your wallet." + _SIGN,
        "Payment of {{ payment.amount }} received.",
    ),
    T.UNDER_FUNDED_BIDS: Default(
        "Your bids are limited by your balance",
        "Hello {{ customer.name }},\n\nSome of your bids are limited by your available balance. "
        "Add funds to keep them competing." + _SIGN,
        "Some of your bids are limited by your balance. Add funds to keep them competing.",
    ),
}
assert set(DEFAULTS) == set(T.values) == set(TYPE_NAMESPACES) == set(TYPE_CATEGORY)
assert sum(map(len, CATEGORIES.values())) == len(T.values)  # each type in exactly one group
