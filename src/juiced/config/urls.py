from django.urls import include, path

from juiced.api.api import api
from juiced.web.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("api/", api.urls),
    path("", include("juiced.web.urls")),
]
