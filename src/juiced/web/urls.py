from django.urls import include, path

urlpatterns = [
    path("", include("juiced.web.urls_auth")),
    path("manage/<slug:tenant>/", include("juiced.web.urls_team")),
    path("manage/<slug:tenant>/", include("juiced.web.urls_manage")),
    path("app/", include("juiced.web.urls_portal")),
]
