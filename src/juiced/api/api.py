"""The staff JSON API (django-ninja), mounted at /api/; OpenAPI docs at /api/docs."""

from ninja import NinjaAPI

from juiced.api import customers, wallets
from juiced.api.auth import StaffToken
from juiced.api.errors import register_error_handlers
from juiced.leads.api_bids import router as bids_router
from juiced.leads.api_leads import router as leads_router
from juiced.leads.api_setup import router as lead_setup_router
from juiced.notifications.api import router as notifications_router
from juiced.payments.api import router as payments_router
from juiced.returns.api_returns import router as returns_router
from juiced.returns.api_tiers import router as tiers_router
from juiced.vending.api import router as vending_router
from juiced.webhooks.api import router as webhooks_router

api = NinjaAPI(
    title="Juiced API",
    version="1",
    docs_url="/docs",
    auth=StaffToken(),
    description=(
        "Staff API. Authenticate with `Authorization: Bearer jcd_…` (`juiced token create` or the settings "
        "page). Money is integer minor units (cents) plus a lowercase `currency`. Errors are "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
)
register_error_handlers(api)
api.add_router("/manage/", customers.router)
api.add_router("/manage/", wallets.router)
api.add_router("/manage/", payments_router)
api.add_router("/manage/", notifications_router)
api.add_router("/manage/", webhooks_router)
api.add_router("/manage/", lead_setup_router)
api.add_router("/manage/", bids_router)
api.add_router("/manage/", leads_router)
api.add_router("/manage/", tiers_router)
api.add_router("/manage/", returns_router)
api.add_router("/manage/vending/", vending_router)
