"""Messages to vending customers: receipts with the token(s), reversal notices, a cashier's SMS.

Each message is a VendingMessage row written in the service's transaction; the job
`juiced.vending.tasks.send_vending_message` sends it after commit through the notification channels
(Django mail; the twilio library with the tenant's channel settings). SMS rows are only written when the
tenant has Twilio configured; e-mail rows when the customer has an address.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from juiced.core.errors import NotFound, ValidationFailed
from juiced.core.money import format_money
from juiced.core.tasks import enqueue_on_commit
from juiced.notifications.services import sms_configured
from juiced.vending.models import Account, Sale, Token, VendingCustomer, VendingMessage

SMS_MAX = 1_600


def kwh(wh: int) -> str:
    """0.1 kWh precision, the unit energy is sold in."""
    sign = "-" if wh < 0 else ""
    wh = abs(wh)
    return f"{sign}{wh // 1000}.{(wh % 1000) // 100} kWh"


def token_display(code: str) -> str:
    """A token in groups of three digits, as customers read it out."""
    return " ".join(code[i : i + 3] for i in range(0, len(code), 3))


def messages_queue(messages: list[VendingMessage]) -> list[VendingMessage]:
    """Queue the sending of saved messages after commit: one job for all of them (one job row to write)."""
    from juiced.vending.tasks import send_vending_message, send_vending_messages

    if len(messages) == 1:
        (message,) = messages
        enqueue_on_commit(send_vending_message, message_id=message.pk, tenant_id=message.tenant_id)
    elif messages:
        enqueue_on_commit(
            send_vending_messages,
            message_ids=[message.pk for message in messages],
            tenant_id=messages[0].tenant_id,
        )
    return messages


def _rows(
    *,
    customer: VendingCustomer,
    account: Account | None,
    sale: Sale | None,
    kind: str,
    subject: str,
    body: str,
    channels: Iterable[tuple[str, str]],
    sent_by: Any = None,
) -> list[VendingMessage]:
    """Unsaved message rows, one per channel with a recipient."""
    return [
        VendingMessage(
            tenant_id=customer.tenant_id,
            customer=customer,
            account=account,
            sale=sale,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject if channel == VendingMessage.Channel.EMAIL else "",
            body=body,
            sent_by=sent_by,
        )
        for channel, recipient in channels
        if recipient
    ]


def _write(**fields: Any) -> list[VendingMessage]:
    rows = VendingMessage.objects.bulk_create(_rows(**fields))
    return messages_queue(rows)


def _preferred_channels(customer: VendingCustomer, *, sms: bool | None = None) -> list[tuple[str, str]]:
    """Receipt channels by the customer's preferences; `sms`: the tenant has Twilio (looked up if None)."""
    channels: list[tuple[str, str]] = []
    if (
        customer.receipt_sms
        and customer.phone
        and (sms if sms is not None else sms_configured(customer.tenant))
    ):
        channels.append((VendingMessage.Channel.SMS, customer.phone))
    if customer.receipt_email and customer.email:
        channels.append((VendingMessage.Channel.EMAIL, customer.email))
    return channels


def receipt_text(*, sale: Sale, tokens: list[Token]) -> str:
    currency = sale.tenant.currency
    lines = [f"{sale.tenant.name}: prepaid electricity receipt", f"Account {sale.account.number}"]
    lines.append(f"Meter {sale.meter.serial_number}")
    lines.append(f"Paid {format_money(sale.amount, currency)} ({sale.get_payment_kind_display()})")
    if sale.arrears_share:
        lines.append(f"To arrears {format_money(sale.arrears_share, currency)}")
    if sale.fixed_charges:
        lines.append(f"Fixed charges {format_money(sale.fixed_charges, currency)}")
    if sale.tax:
        lines.append(f"Tax {format_money(sale.tax, currency)}")
    lines.append(f"Energy {kwh(sale.energy_wh)} for {format_money(sale.energy_money, currency)}")
    for token in tokens:
        lines.append(f"Token {token_display(token.token)} ({kwh(token.energy_wh)})")
    if not tokens:
        lines.append(
            "No token: the amount bought no whole 0.1 kWh; the rest is carried to the next purchase."
        )
    lines.append(f"Receipt {sale.public_id}")
    return "\n".join(lines)


def receipt_rows(*, sale: Sale, tokens: list[Token], sms: bool | None = None) -> list[VendingMessage]:
    """The unsaved receipt rows (SMS, e-mail) per the customer's preferences; the caller saves and queues."""
    customer = sale.account.customer
    return _rows(
        customer=customer,
        account=sale.account,
        sale=sale,
        kind=VendingMessage.Kind.RECEIPT,
        subject=f"Your electricity token — account {sale.account.number}",
        body=receipt_text(sale=sale, tokens=tokens),
        channels=_preferred_channels(customer, sms=sms),
    )


def receipt_messages(*, sale: Sale, tokens: list[Token]) -> list[VendingMessage]:
    """The receipt by SMS and e-mail per the customer's preferences (inside the sale's transaction)."""
    return messages_queue(VendingMessage.objects.bulk_create(receipt_rows(sale=sale, tokens=tokens)))


def reversal_messages(*, original: Sale, reversal: Sale, tokens: list[Token]) -> list[VendingMessage]:
    """Tell the customer a sale was reversed and its token(s) are void."""
    account = reversal.account  # the row locked by the reversal: its customer's current preferences
    customer = account.customer
    currency = original.tenant.currency
    codes = ", ".join(token_display(t.token) for t in tokens) or "none"
    body = (
        f"{original.tenant.name}: your purchase {original.public_id} of "
        f"{format_money(original.amount, currency)} on account {original.account.number} was reversed. "
        f"Token(s) {codes} are void; {kwh(original.energy_wh)} taken back."
    )
    return _write(
        customer=customer,
        account=account,
        sale=reversal,
        kind=VendingMessage.Kind.REVERSAL,
        subject=f"Purchase reversed — account {original.account.number}",
        body=body,
        channels=_preferred_channels(customer),
    )


def send_customer_sms(
    *, access: Any, customer: VendingCustomer, body: str, account: Account | None = None
) -> list[VendingMessage]:
    """An SMS from staff to the customer's number(s), sent by the background job."""
    access.require("vending.sms")
    if customer.tenant_id != access.tenant.pk or (account is not None and account.customer_id != customer.pk):
        raise NotFound("No such customer.")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed.on("body", "Write the message.")
    if len(body) > SMS_MAX:
        raise ValidationFailed.on("body", f"Keep the message under {SMS_MAX} characters.")
    numbers = [n for n in dict.fromkeys([customer.phone, customer.phone_alt]) if n]
    if not numbers:
        raise ValidationFailed.on("body", "The customer has no phone number.")
    if not sms_configured(customer.tenant):
        raise ValidationFailed.on("body", "SMS is not configured: add the Twilio settings first.")
    with transaction.atomic():
        messages = _write(
            customer=customer,
            account=account,
            sale=None,
            kind=VendingMessage.Kind.MESSAGE,
            subject="",
            body=body,
            channels=[(VendingMessage.Channel.SMS, n) for n in numbers],
            sent_by=access.user,
        )
        if account is not None:
            from juiced.vending.history import account_record

            account_record(
                account=account,
                actor=access.user,
                action="sms_sent",
                summary=f"SMS to {', '.join(numbers)}: {body[:120]}",
            )
    return messages
