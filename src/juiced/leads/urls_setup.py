"""Lead setup pages, under /manage/<tenant>/ (the `tenant` argument is read by @staff_view)."""

from django.urls import path

from juiced.leads import views_setup as views

CATEGORY = "setup/categories/<str:category_id>/"
FIELD = CATEGORY + "fields/<str:field_id>/"
LEAD_TYPE = "setup/lead-types/<str:lead_type_id>/"
SOURCE = "setup/sources/<str:source_id>/"
RULE = "setup/duplicate-rules/<str:rule_id>/"

urlpatterns = [
    path("setup/categories/", views.categories, name="setup_categories"),
    path(CATEGORY, views.category, name="setup_category"),
    *[path(CATEGORY + f"{a}/", views.category_action, {"action": a}) for a in ("archive", "restore")],
    path(CATEGORY + "fields/", views.field_create, name="setup_field_create"),
    path(CATEGORY + "conditions/", views.conditions_builder, name="setup_conditions_builder"),
    path(FIELD, views.field_edit, name="setup_field"),
    *[path(FIELD + f"{a}/", views.field_action, {"action": a}) for a in ("delete", "move-up", "move-down")],
    path(FIELD + "toggle/<str:flag>/", views.field_toggle, name="setup_field_toggle"),
    path("setup/lead-types/", views.lead_types, name="setup_lead_types"),
    path(LEAD_TYPE, views.lead_type, name="setup_lead_type"),
    path(LEAD_TYPE + "pricing/", views.lead_type_pricing, name="setup_lead_type_pricing"),
    path(LEAD_TYPE + "test/", views.lead_type_test, name="setup_lead_type_test"),
    *[
        path(LEAD_TYPE + f"{a}/", views.lead_type_action, {"action": a})
        for a in ("archive", "restore", "move-up", "move-down")
    ],
    path("setup/sources/", views.sources, name="setup_sources"),
    path(SOURCE, views.source, name="setup_source"),
    path(SOURCE + "pricing/", views.source_pricing, name="setup_source_pricing"),
    path(SOURCE + "pricing/copy/", views.source_pricing_copy, name="setup_source_pricing_copy"),
    path(
        SOURCE + "tokens/<str:token_id>/revoke/", views.source_token_revoke, name="setup_source_token_revoke"
    ),
    *[path(SOURCE + f"{a}/", views.source_action, {"action": a}) for a in views.SOURCE_ACTIONS],
    path("setup/duplicate-rules/", views.duplicate_rules, name="setup_duplicate_rules"),
    path(RULE, views.duplicate_rule, name="setup_duplicate_rule"),
    path(RULE + "delete/", views.duplicate_rule_delete, name="setup_duplicate_rule_delete"),
    path("settings/leads/", views.lead_settings, name="settings_leads"),
]
