"""Dashboard routes of the returns app, under /manage/<tenant>/ (tiers and settings; requests below)."""

from django.urls import include, path

from juiced.returns import views_tiers as v

urlpatterns: list = [
    path("disputes", v.disputes, name="returns-disputes"),
    path("disputes/tiers/new", v.tier_new, name="returns-tier-new"),
    path("disputes/tiers/order", v.tier_order, name="returns-tier-order"),
    path("disputes/tiers/delete", v.tiers_delete, name="returns-tiers-delete"),
    path("disputes/tiers/<str:tier_id>/", v.tier_edit, name="returns-tier-edit"),
    path("disputes/tiers/<str:tier_id>/move", v.tier_move, name="returns-tier-move"),
    path("disputes/recalculate", v.tier_recalculate, name="returns-tier-recalculate"),
    path("disputes/recalculation", v.recalculation_progress, name="returns-tier-recalculation"),
    path("", include("juiced.returns.urls_returns_manage")),
]
