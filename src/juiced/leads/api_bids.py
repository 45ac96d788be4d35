"""Staff JSON API: Bids (under /api/manage/)."""

from ninja import Router

router = Router(tags=["Bids"])
