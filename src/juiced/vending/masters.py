"""Master accounts: they relate accounts (Account.master) without copying them.

Editing a master changes only the master; editing an account changes only the account. The one bridge is
Synchronize: `master_sync_preview` shows, per linked account, the chosen fields that differ from the
master's; `master_sync_apply` writes them in one transaction and records "synchronized" in each changed
account's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from juiced.core.errors import ValidationFailed
from juiced.vending.history import account_record
from juiced.vending.models import Account, MasterAccount
from juiced.vending.setup import (
    MAX_BP,
    FieldCleaner,
    actor_of,
    apply_changes,
    clean_purchase_limits,
    related_in_tenant,
    tenant_of,
)

MASTER_FIELDS = {
    "name",
    "tariff",
    "arrears_recovery_bp",
    "minimum_purchase",
    "maximum_purchase",
    "notes",
    "accounts",
}


def _clean_master(data: Mapping[str, Any], *, partial: bool, tenant: Any, master=None) -> dict[str, Any]:
    c = FieldCleaner(data, allowed=MASTER_FIELDS, partial=partial)
    c.text("name", required=True)
    related_in_tenant(c, "tariff", tenant, nullable=True)
    c.integer("arrears_recovery_bp", maximum=MAX_BP, unit=" of basis points (15 % is 1500)")
    clean_purchase_limits(c, master)
    c.text("notes", max_length=5000)
    if c.present("accounts"):
        ids = c.data["accounts"]
        if not isinstance(ids, list | tuple) or not all(isinstance(i, str | Account) for i in ids):
            c.fail("accounts", "Give a list of account ids.")
        else:
            wanted = {i.pk if isinstance(i, Account) else i for i in ids}
            public_ids = {i for i in wanted if isinstance(i, str)}
            pks = {i for i in wanted if isinstance(i, int)}
            found = list(
                Account.objects.filter(tenant=tenant).filter(public_id__in=public_ids)
                | Account.objects.filter(tenant=tenant, pk__in=pks)
            )
            missing = public_ids - {a.public_id for a in found}
            if missing or len(found) != len(wanted):
                c.fail(
                    "accounts",
                    "No such account: " + ", ".join(sorted(missing) or ["(another tenant's)"]) + ".",
                )
            else:
                c.cleaned["accounts"] = found
    return c.raise_if_invalid()


def _link(*, access: Any, master: MasterAccount, accounts: Iterable[Account]) -> None:
    """Make `accounts` the master's linked accounts; each (un)link is in that account's history."""
    wanted = {a.pk for a in accounts}
    current = Account.objects.select_for_update().filter(master=master).order_by("pk")
    joining = Account.objects.select_for_update().filter(pk__in=wanted).exclude(master=master).order_by("pk")
    for account in list(current):
        if account.pk not in wanted:
            account.master = None
            account.save(update_fields=["master", "updated_at"])
            account_record(
                account=account,
                actor=actor_of(access),
                action="master_unlinked",
                summary=f"Unlinked from master account {master.name}.",
                changes={"master": [master, None]},
            )
    for account in list(joining):
        old = account.master
        account.master = master
        account.save(update_fields=["master", "updated_at"])
        account_record(
            account=account,
            actor=actor_of(access),
            action="master_linked",
            summary=f"Linked to master account {master.name}.",
            changes={"master": [old, master]},
        )


@transaction.atomic
def master_create(*, access: Any, data: Mapping[str, Any]) -> MasterAccount:
    """Create a master account; `accounts` (ids) links those accounts to it (nothing is copied)."""
    cleaned = _clean_master(data, partial=False, tenant=tenant_of(access))
    accounts = cleaned.pop("accounts", None)
    master = MasterAccount.objects.create(tenant=tenant_of(access), **cleaned)
    if accounts is not None:
        _link(access=access, master=master, accounts=accounts)
    return master


@transaction.atomic
def master_update(*, access: Any, data: Mapping[str, Any], master: MasterAccount) -> MasterAccount:
    """Change the master only (linked accounts keep their values until Synchronize); `accounts` relinks."""
    master = MasterAccount.objects.select_for_update().get(pk=master.pk)
    cleaned = _clean_master(data, partial=True, tenant=master.tenant, master=master)
    accounts = cleaned.pop("accounts", None)
    if apply_changes(master, cleaned):
        master.save()
    if accounts is not None:
        _link(access=access, master=master, accounts=accounts)
    return master


def _clean_fields(master: MasterAccount, fields: Any) -> list[str]:
    if not isinstance(fields, list | tuple) or not fields:
        raise ValidationFailed.on(
            "fields", "Choose the fields to synchronize: " + ", ".join(MasterAccount.SYNC_FIELDS)
        )
    unknown = [f for f in fields if f not in MasterAccount.SYNC_FIELDS]
    if unknown:
        allowed = ", ".join(MasterAccount.SYNC_FIELDS)
        raise ValidationFailed.on(
            "fields", f"Cannot synchronize {', '.join(map(str, unknown))}; choose from {allowed}."
        )
    if "tariff" in fields and master.tariff_id is None:
        raise ValidationFailed.on("fields", "The master account has no tariff to push; set one first.")
    return [f for f in MasterAccount.SYNC_FIELDS if f in fields]


def _changes(master: MasterAccount, account: Account, fields: list[str]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for field in fields:
        if field == "tariff":
            if account.tariff_id != master.tariff_id:
                changes["tariff"] = [account.tariff, master.tariff]
        elif getattr(account, field) != getattr(master, field):
            changes[field] = [getattr(account, field), getattr(master, field)]
    return changes


def _linked(master: MasterAccount, *, lock: bool = False):
    accounts = Account.objects.filter(master=master).select_related("tariff").order_by("pk")
    return accounts.select_for_update(of=("self",)) if lock else accounts


def master_sync_preview(*, master: MasterAccount, fields: list[str]) -> list[dict[str, Any]]:
    """Per linked account: {"account": Account, "changes": {field: [old, new]}} (only fields that differ)."""
    chosen = _clean_fields(master, fields)
    return [{"account": a, "changes": _changes(master, a, chosen)} for a in _linked(master)]


@transaction.atomic
def master_sync_apply(*, access: Any, master: MasterAccount, fields: list[str]) -> list[dict[str, Any]]:
    """Push the master's chosen fields to every linked account (one transaction), as previewed."""
    master = MasterAccount.objects.select_related("tariff").get(pk=master.pk)
    chosen = _clean_fields(master, fields)
    result = []
    for account in _linked(master, lock=True):
        changes = _changes(master, account, chosen)
        if changes:
            apply_changes(account, {f: new for f, (_old, new) in changes.items()})
            account.save()
            account_record(
                account=account,
                actor=actor_of(access),
                action="synchronized",
                summary=f"Synchronized from master account {master.name}: {', '.join(changes)}.",
                changes=changes,
            )
        result.append({"account": account, "changes": changes})
    return result
