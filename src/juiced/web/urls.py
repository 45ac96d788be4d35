from django.urls import include, path

urlpatterns = [
    path("", include("juiced.web.urls_auth")),
    path("manage/<slug:tenant>/", include("juiced.web.urls_team")),
    path("manage/<slug:tenant>/", include("juiced.web.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.customers.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.web.urls_jobs")),
    path("manage/<slug:tenant>/", include("juiced.payments.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.notifications.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.webhooks.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.leads.urls_setup")),
    path("manage/<slug:tenant>/", include("juiced.leads.urls_manage")),
    path("manage/<slug:tenant>/", include("juiced.returns.urls_manage")),
    path("app/", include("juiced.web.urls_portal")),
    path("app/", include("juiced.returns.urls_portal")),
    path("app/", include("juiced.leads.urls_portal")),
    path("app/", include("juiced.payments.urls_portal")),
    path("app/", include("juiced.notifications.urls_portal")),
    path("app/", include("juiced.webhooks.urls_portal")),
]
