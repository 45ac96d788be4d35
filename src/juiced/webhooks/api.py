"""/api/manage/ endpoints of juiced.webhooks."""

from ninja import Router

router = Router(tags=["webhooks"])
