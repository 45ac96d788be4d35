"""Staff JSON API: Returns (under /api/manage/)."""

from ninja import Router

router = Router(tags=["Returns"])
