"""/api/manage/ endpoints of juiced.notifications."""

from ninja import Router

router = Router(tags=["notifications"])
