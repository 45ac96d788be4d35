from django.urls import include, path

from juiced.api.api import api
from juiced.web.health import health, live

urlpatterns = [
    path("health", health, name="health"),
    path("health/live", live, name="health_live"),
    path("api/", api.urls),
    path("webhooks/", include("juiced.payments.urls_public")),
    path("", include("juiced.web.urls")),
]
