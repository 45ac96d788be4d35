"""Allocation: load candidates, decide (auction.decide), then charge, count, assign and log in ONE
database transaction with per-wallet locks in a fixed order; side effects are queued after commit.

Owner: the engine (issue 5). The signatures below are the contract the ingestion API, the leads pages
and the demo code call; keep them stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from juiced.leads.models import Lead, Ping, PingOffer


@dataclass(frozen=True)
class AllocationResult:
    status: str  # the lead's new LeadStatus value (assigned, unassigned, …)
    price: int = 0  # cents charged to the buyer (0 when not sold)
    payout: int = 0  # cents reported to the source (after payout % or the source's fixed/fallback price)
    customer_id: int | None = None
    bid_id: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # what went into the DistributionLog row


def lead_allocate(*, lead: Lead, offer: PingOffer | None = None, actor: Any = None) -> AllocationResult:
    """Sell a saved lead (status Processing, lead type set): run the auction among eligible bids — or,
    when `offer` is a ping offer the post chose, honour it by capturing its hold — then charge, count
    caps/budgets, assign, set the status and write one DistributionLog row, all in one transaction.
    A lead with no winner becomes Unassigned. Notifications and webhooks are queued on commit."""
    raise NotImplementedError


def lead_reprocess(*, lead: Lead, actor: Any) -> AllocationResult:
    """Run an unassigned (or uncategorized/distribution error) lead through allocation again; refuses a
    sold lead (InvalidState). Adds a status change and a new DistributionLog run."""
    raise NotImplementedError


def ping_quote(*, ping: Ping, limit: int) -> list[PingOffer]:
    """Auction a saved ping (lead type and location set on it) and hold the buyer's price for the top
    `limit` offers (one per customer), each as a PingOffer with a wallet Hold (event Ping Hold).
    Returns the offers by rank (empty when nobody bids)."""
    raise NotImplementedError


def ping_release(*, ping: Ping, keep: PingOffer | None = None, reason: str = "") -> None:
    """Release the holds of a ping's offers (all but `keep`), e.g. on the matching post or on expiry."""
    raise NotImplementedError
