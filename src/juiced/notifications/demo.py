"""Demo data of the notifications app: contacts for the buyer's customers, one customized template and
a few in-app notifications. Called by `juiced demo`; running it again adds nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from juiced.customers.models import Customer
from juiced.notifications.models import Contact
from juiced.notifications.services import contact_create, notify, template_save


def demo_notifications(*, tenant: Any, admin: Any, buyer_email: str) -> bool:
    if Contact.objects.filter(tenant=tenant).exists():
        return False
    customers = list(Customer.objects.filter(tenant=tenant, memberships__user__email=buyer_email).distinct())
    with transaction.atomic():
        template_save(
            tenant=tenant,
            actor=admin,
            notification_type="payment_successful",
            data={"sms_body": "Thanks {{ customer.name }}: {{ payment.amount }} is in your wallet."},
        )
        for customer in customers:
            slug = customer.name.split()[0].lower()
            contact_create(
                customer=customer,
                actor=admin,
                data={"kind": "email", "value": f"alerts@{slug}.example", "name": "Alerts desk"},
            )
            contact_create(
                customer=customer,
                actor=admin,
                data={
                    "kind": "email",
                    "value": f"billing@{slug}.example",
                    "name": "Billing",
                    "preferences": {"lead_assigned": False, "outbid": False, "bid_matched": False},
                },
            )
            notify(
                customer=customer,
                type="payment_successful",
                context={"payment": {"amount": 250_00, "method": "Visa •••• 4242"}},
            )
            notify(customer=customer, type="under_funded_bids", context={})
    return True
