"""The demo tenant: staff for every role, a buyer with two accounts, and a dozen customers with history.

Everything goes through the real services (customer_create, wallet_credit, hold_place…), so the demo
data obeys the same rules as real data and `juiced ledger check` is clean after it. Loading is
idempotent: people are found by e-mail and customers by name, and a customer that exists already is
left alone; each customer and its history are written in one transaction, so an interrupted load
finishes cleanly the next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from juiced.core.ids import new_public_id
from juiced.customers.models import Customer, CustomerMembership
from juiced.customers.services import customer_archive, customer_create, customer_pause
from juiced.tenants.models import ApiToken, Membership, Tenant, User
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import api_token_create, api_token_revoke, tenant_create
from juiced.wallets.models import Hold, Wallet
from juiced.wallets.models import TransactionEvent as Event
from juiced.wallets.services import (
    Related,
    hold_capture,
    hold_place,
    hold_release,
    wallet_credit,
    wallet_debit,
)

DEMO_TENANT_SLUG = "demo"
DEMO_TENANT_NAME = "Demo Leads"
DEMO_PASSWORD = "demo"
ADMIN_EMAIL = "admin@demo.test"
BUYER_EMAIL = "buyer@demo.test"
DEMO_TOKEN_NAME = "demo"

STAFF = [
    ("Admin", ADMIN_EMAIL, "Ada Admin", StaffRole.ADMIN),
    ("Customer Support", "support@demo.test", "Sam Support", StaffRole.CUSTOMER_SUPPORT),
    ("Sales", "sales@demo.test", "Sasha Sales", StaffRole.SALES),
    ("Data Validation", "validation@demo.test", "Val Validation", StaffRole.DATA_VALIDATION),
]


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    email: str
    data: dict[str, Any] = field(default_factory=dict)
    history: Callable[[Wallet, User], None] | None = None
    paused: bool = False
    archived: bool = False
    buyer_role: str | None = None  # link buyer@demo.test with this customer role


def _lead() -> Related:
    """A made-up lead id: leads are not rows yet, but the transaction links to one as it will."""
    return Related("lead", new_public_id("lead"))


def _deposit(wallet: Wallet, cents: int, note: str = "Card deposit") -> None:
    wallet_credit(wallet=wallet, amount=cents, event=Event.FUNDS_ADDED, description=note)


def _tenant_credit(wallet: Wallet, actor: User, cents: int, note: str, receipt_url: str = "") -> None:
    wallet_credit(wallet=wallet, amount=cents, description=note, receipt_url=receipt_url, actor=actor)


def _sell_leads(wallet: Wallet, prices: list[int]) -> list[Related]:
    """Charge for assigned leads as the auction will: one Lead Assigned debit per lead."""
    leads = []
    for price in prices:
        lead = _lead()
        wallet_debit(
            wallet=wallet, amount=price, event=Event.LEAD_ASSIGNED, description="Lead assigned", related=lead
        )
        leads.append(lead)
    return leads


def _buy_order(wallet: Wallet, cents: int, where: str) -> Hold:
    """A marketplace buy order: its funds are held until it wins, is canceled or is outbid."""
    related = Related("buy_order", new_public_id("bo"))
    return hold_place(wallet=wallet, amount=cents, description=f"Buy order: {where}", related=related)[0]


def _return_lead(wallet: Wallet, lead: Related, cents: int) -> None:
    wallet_credit(
        wallet=wallet, amount=cents, event=Event.LEAD_RETURNED, description="Return approved", related=lead
    )


def _history_apex(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 200_000)
    _tenant_credit(wallet, admin, 50_000, "Welcome credit", "https://example.com/receipts/apex-welcome")
    leads = _sell_leads(wallet, [4_500, 4_500, 5_200, 3_900, 4_500])
    _return_lead(wallet, leads[1], 4_500)


def _history_bright(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 100_000)
    wallet_credit(wallet=wallet, amount=25_000, event=Event.AUTO_RECHARGE, description="Auto recharge")
    _sell_leads(wallet, [6_000, 6_000])
    _buy_order(wallet, 12_000, "Solar / CA")  # still open: its funds stay held


def _history_delta(wallet: Wallet, admin: User) -> None:
    _tenant_credit(wallet, admin, 30_000, "Trial credit")
    _sell_leads(wallet, [2_500])


def _history_evergreen(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 40_000)
    _sell_leads(wallet, [8_000, 8_000])
    wallet_debit(
        wallet=wallet, amount=24_000, description="Refund of the unused balance on closing", actor=admin
    )


def _history_falcon(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 75_000)


def _history_granite(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 20_000)
    _sell_leads(wallet, [3_000, 3_000, 3_000])
    wallet_credit(wallet=wallet, amount=20_000, event=Event.AUTO_RECHARGE, description="Auto recharge")
    _sell_leads(wallet, [3_000])


def _history_harbor(wallet: Wallet, admin: User) -> None:
    _deposit(wallet, 60_000)
    _buy_order(wallet, 15_000, "Health / TX")  # still open
    canceled = _buy_order(wallet, 10_000, "Health / FL")
    hold_release(hold=canceled, event=Event.CANCELED_BUY_ORDER, description="Buy order canceled")
    outbid = _buy_order(wallet, 8_000, "Health / GA")
    hold_release(hold=outbid, event=Event.RELEASED_BUY_ORDER, description="Outbid: funds released")
    won = _buy_order(wallet, 9_000, "Health / NC")
    # The order won a lead at a lower price than it held: the rest of the hold is released.
    hold_capture(
        hold=won, amount=7_500, event=Event.LEAD_ASSIGNED, description="Lead assigned", related=_lead()
    )


def _history_ironwood(wallet: Wallet, admin: User) -> None:
    # Spends more than its daily budget today, so it reads Inactive (budget exhausted).
    _deposit(wallet, 50_000)
    _sell_leads(wallet, [3_000, 3_000])


def _history_juniper(wallet: Wallet, admin: User) -> None:
    # Reaches its daily cap of two leads today, so it reads Inactive (cap exhausted).
    _deposit(wallet, 30_000)
    _sell_leads(wallet, [2_000, 2_000])


def _history_keystone(wallet: Wallet, admin: User) -> None:
    _tenant_credit(wallet, admin, 10_000, "Goodwill credit")
    wallet_debit(wallet=wallet, amount=10_000, description="Goodwill credit withdrawn", actor=admin)


def _history_lumen(wallet: Wallet, admin: User) -> None:
    # 85 % of its weekly budget is spent, so the budget reads Limited.
    _deposit(wallet, 150_000)
    _sell_leads(wallet, [42_500, 42_500])


DEMO_CUSTOMERS = [
    DemoCustomer(
        "Apex Home Insurance",
        "ops@apexhome.test",
        {"is_onboarded": True, "phone": "+1 415 555 0101", "city": "San Francisco", "state": "CA"},
        _history_apex,
        buyer_role=CustomerRole.CUSTOMER_ADMIN,
    ),
    DemoCustomer(
        "Bright Solar Co",
        "leads@brightsolar.test",
        {"is_onboarded": True, "daily_cap": 20, "monthly_budget": 500_000, "state": "CA"},
        _history_bright,
        buyer_role=CustomerRole.CUSTOMER_ADMIN,
    ),
    DemoCustomer("Cedar Roofing", "hello@cedarroofing.test", {"city": "Denver", "state": "CO"}),
    DemoCustomer(
        "Delta Auto Protect", "buying@deltaauto.test", {"is_onboarded": True}, _history_delta, paused=True
    ),
    DemoCustomer(
        "Evergreen Mortgage", "team@evergreen.test", {"is_onboarded": True}, _history_evergreen, archived=True
    ),
    DemoCustomer("Falcon Legal", "intake@falconlegal.test", {"can_access_bidding": False}, _history_falcon),
    DemoCustomer(
        "Granite Home Services",
        "ops@granitehome.test",
        {"is_onboarded": True, "return_tiers_disabled": True},
        _history_granite,
    ),
    DemoCustomer(
        "Harbor Health Plans",
        "leads@harborhealth.test",
        {"is_onboarded": True, "weekly_cap": 50},
        _history_harbor,
    ),
    DemoCustomer(
        "Ironwood Windows",
        "sales@ironwood.test",
        {"is_onboarded": True, "daily_budget": 5_000},
        _history_ironwood,
    ),
    DemoCustomer("Juniper Pest Control", "office@juniperpest.test", {"daily_cap": 2}, _history_juniper),
    DemoCustomer("Keystone Plumbing", "ap@keystoneplumbing.test", {"is_onboarded": True}, _history_keystone),
    DemoCustomer(
        "Lumen Energy",
        "buyers@lumenenergy.test",
        {"is_onboarded": True, "weekly_budget": 100_000},
        _history_lumen,
    ),
]


@dataclass
class DemoResult:
    tenant: Tenant
    admin: User
    created: bool  # anything was added on this run
    customer_count: int
    api_token: str = ""
    source: dict[str, str] = field(default_factory=dict)  # the internal source's key and a fresh secret


def _demo_user(email: str, name: str) -> tuple[User, bool]:
    """A demo login with the short demo password (set directly: the validators would refuse it)."""
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User(email=email, name=name)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user, True


@transaction.atomic
def _load_people() -> tuple[Tenant, User, bool]:
    created = False
    admin, made = _demo_user(ADMIN_EMAIL, STAFF[0][2])
    created |= made
    tenant = Tenant.objects.filter(slug=DEMO_TENANT_SLUG).first()
    if tenant is None:
        tenant, _ = tenant_create(
            slug=DEMO_TENANT_SLUG,
            name=DEMO_TENANT_NAME,
            admin_email=ADMIN_EMAIL,
            admin_password=DEMO_PASSWORD,
        )
        created = True
    for _label, email, name, role in STAFF[1:]:
        user, made = _demo_user(email, name)
        _membership, linked = Membership.objects.get_or_create(
            tenant=tenant, user=user, defaults={"role": role}
        )
        created |= made or linked
    _buyer, made = _demo_user(BUYER_EMAIL, "Bea Buyer")
    return tenant, admin, created or made


def _load_customer(tenant: Tenant, admin: User, spec: DemoCustomer) -> bool:
    """Create one demo customer with its history in one transaction; False when it exists."""
    if Customer.objects.filter(tenant=tenant, name=spec.name).exists():
        return False
    with transaction.atomic():
        customer = customer_create(
            tenant=tenant, actor=admin, data={"name": spec.name, "email": spec.email, **spec.data}
        )
        if spec.history is not None:
            spec.history(Wallet.objects.get(customer=customer), admin)
        if spec.buyer_role:
            buyer = User.objects.get(email=BUYER_EMAIL)
            CustomerMembership.objects.get_or_create(
                customer=customer, user=buyer, defaults={"role": spec.buyer_role}
            )
        if spec.paused:
            customer = customer_pause(customer=customer, actor=admin)
        if spec.archived:
            customer_archive(customer=customer, actor=admin)
    return True


def _renew_token(tenant: Tenant, admin: User) -> str:
    """Revoke the previous demo token and make a new one (only hashes are kept)."""
    for token in ApiToken.objects.filter(
        tenant=tenant, user=admin, name=DEMO_TOKEN_NAME, revoked_at__isnull=True
    ):
        api_token_revoke(token=token, actor=admin)
    _token, raw = api_token_create(tenant=tenant, user=admin, name=DEMO_TOKEN_NAME)
    return raw


def demo_load(*, console: Any = None, with_token: bool = False) -> DemoResult:
    """Load the demo tenant, its people and customers; running it again adds nothing."""
    from rich.progress import Progress

    tenant, admin, created = _load_people()
    with Progress(console=console, transient=True, disable=console is None) as progress:
        bar = progress.add_task("Loading demo customers", total=len(DEMO_CUSTOMERS))
        for spec in DEMO_CUSTOMERS:
            created |= _load_customer(tenant, admin, spec)
            progress.advance(bar)
    from juiced.notifications.demo import demo_notifications  # contacts, a template, in-app notifications

    created |= demo_notifications(tenant=tenant, admin=admin, buyer_email=BUYER_EMAIL)
    from juiced.payments.demo import demo_payments  # card payments through the local fake Stripe

    created |= demo_payments(tenant=tenant, admin=admin)
    from juiced.leads.demo import demo_marketplace, demo_source_credentials  # bids and leads

    created |= demo_marketplace(tenant=tenant, admin=admin)
    from juiced.vending.demo import vending_demo  # tariffs, accounts, a cashier, a month of sales

    created |= vending_demo(tenant=tenant, admin=admin)
    result = DemoResult(
        tenant=tenant,
        admin=admin,
        created=created,
        customer_count=Customer.objects.filter(tenant=tenant).count(),
    )
    if with_token:
        result.api_token = _renew_token(tenant, admin)
        result.source = demo_source_credentials(tenant=tenant)
    return result


def demo_summary(result: DemoResult) -> dict[str, Any]:
    """What `juiced demo --json` prints: where to go and how to log in."""
    base = settings.JUICED_BASE_URL
    summary: dict[str, Any] = {
        "dashboard_url": f"{base}/manage/{result.tenant.slug}/customers/",
        "portal_url": f"{base}/app/",
        "admin": {"email": ADMIN_EMAIL, "password": DEMO_PASSWORD},
        "buyer": {"email": BUYER_EMAIL, "password": DEMO_PASSWORD},
    }
    if result.api_token:
        summary["api_token"] = result.api_token
    if result.source:
        summary["source"] = result.source
    return summary


def demo_logins() -> list[tuple[str, str, str]]:
    """(label, e-mail, password) of every demo login, or [] when the demo tenant is not loaded."""
    if not Tenant.objects.filter(slug=DEMO_TENANT_SLUG).exists():
        return []
    logins = [(label, email, DEMO_PASSWORD) for label, email, _name, _role in STAFF]
    logins.append(("Buyer (portal)", BUYER_EMAIL, DEMO_PASSWORD))
    return logins
