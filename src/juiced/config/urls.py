from django.urls import include, path

from juiced.api.api import api
from juiced.leads import ingest_views
from juiced.web.health import health, live

urlpatterns = [
    path("health", health, name="health"),
    path("health/live", live, name="health_live"),
    # Juiced's public source API (its own auth and response shapes; plain views, the hot path).
    path("api/ping", ingest_views.ping, name="ingest_ping"),
    path("api/leads", ingest_views.leads, name="ingest_leads"),
    path("api/", api.urls),
    path("webhooks/", include("juiced.payments.urls_public")),
    path("manage/<slug:tenant>/vending/", include("juiced.vending.urls_manage")),
    path("", include("juiced.web.urls")),
]
