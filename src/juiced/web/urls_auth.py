"""Accounts URLs: home, log in/out, password reset (Django's view names) and invitation links."""

from django.contrib.auth import views as auth_views
from django.urls import path

from juiced.web.views.home import home
from juiced.web.views_auth import LoginView, QueuedPasswordResetForm, invite_accept_view

urlpatterns = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invite/<str:token>/", invite_accept_view, name="invite_accept"),
]
