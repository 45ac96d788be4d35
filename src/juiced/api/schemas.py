"""Request and response shapes of the staff API. Money is integer minor units plus a lowercase currency."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, StrictBool, StrictInt


class StrictInput(Schema):
    # An unknown field is a typo the caller should hear about, not a silently ignored value.
    model_config = ConfigDict(extra="forbid")


class CustomerPatchIn(StrictInput):
    """Any editable customer fields; caps are lead counts, budgets are cents; null clears a limit."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    is_onboarded: StrictBool | None = None
    can_access_bidding: StrictBool | None = None
    return_tiers_disabled: StrictBool | None = None
    daily_cap: StrictInt | None = None
    weekly_cap: StrictInt | None = None
    monthly_cap: StrictInt | None = None
    daily_budget: StrictInt | None = None
    weekly_budget: StrictInt | None = None
    monthly_budget: StrictInt | None = None


class CustomerCreateIn(CustomerPatchIn):
    name: str
    email: str


class WalletMovementIn(StrictInput):
    """A tenant adjustment: `amount` in cents (a whole number), a description the customer sees."""

    amount: StrictInt
    description: str
    receipt_url: str | None = None
    currency: str | None = None


class StatusOut(Schema):
    display: str
    operational: str
    funding: str
    cap: str
    budget: str


class WalletSummaryOut(Schema):
    balance: int
    held: int
    available: int
    currency: str


class ReturnTierRefOut(Schema):
    id: str
    name: str


class CustomerOut(Schema):
    id: str
    object: Literal["customer"]
    name: str
    email: str
    phone: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    is_onboarded: bool
    can_access_bidding: bool
    return_tiers_disabled: bool
    daily_cap: int | None
    weekly_cap: int | None
    monthly_cap: int | None
    daily_budget: int | None
    weekly_budget: int | None
    monthly_budget: int | None
    archived: bool
    status: StatusOut
    wallet: WalletSummaryOut
    return_rate: float
    return_tier: ReturnTierRefOut | None
    created: datetime
    updated: datetime


class CustomerListOut(Schema):
    object: Literal["list"]
    data: list[CustomerOut]
    page: int
    per_page: int
    total: int
    has_more: bool


class WalletOut(Schema):
    object: Literal["wallet"]
    customer: str
    balance: int
    held: int
    available: int
    currency: str


class RelatedOut(Schema):
    type: str
    id: str


class UserActorOut(Schema):
    type: Literal["user"]
    id: str
    email: str


class SystemActorOut(Schema):
    type: Literal["system"]


class TransactionOut(Schema):
    id: str
    object: Literal["transaction"]
    customer: str
    event: str
    event_label: str
    amount: int
    held_delta: int
    currency: str
    balance_after: int
    available_after: int
    description: str
    receipt_url: str | None
    related: RelatedOut | None
    actor: UserActorOut | SystemActorOut
    created: datetime


class TransactionListOut(Schema):
    object: Literal["list"]
    data: list[TransactionOut]
    page: int
    per_page: int
    total: int
    has_more: bool


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail
