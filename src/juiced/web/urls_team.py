"""Team and Settings pages, included under /manage/<tenant>/ (the `tenant` argument goes to @staff_view)."""

from django.urls import path

from juiced.web import views_team

urlpatterns = [
    path("team/", views_team.team, name="team"),
    path("team/invites/", views_team.team_invite_create, name="team_invite_create"),
    path("team/invites/<str:invite_id>/resend/", views_team.team_invite_resend, name="team_invite_resend"),
    path("team/invites/<str:invite_id>/revoke/", views_team.team_invite_revoke, name="team_invite_revoke"),
    path("team/members/<str:user_id>/role/", views_team.team_member_role, name="team_member_role"),
    path("team/members/<str:user_id>/remove/", views_team.team_member_remove, name="team_member_remove"),
    path("settings/", views_team.tenant_settings, name="tenant_settings"),
    path("settings/tokens/", views_team.api_token_create, name="api_token_create"),
    path("settings/tokens/<str:token_id>/revoke/", views_team.api_token_revoke, name="api_token_revoke"),
]
