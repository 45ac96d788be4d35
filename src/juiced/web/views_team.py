"""Dashboard Team page (staff, roles, staff invites) and Settings page (API tokens). Admin only.

Every view goes through `@staff_view`, so another tenant's admin gets 404 and other roles 403; every
change goes through a service in `juiced.tenants.services`, which keeps the rules (e.g. the last Admin).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from juiced.core.errors import DomainError
from juiced.tenants import selectors, services
from juiced.tenants.roles import StaffRole
from juiced.web.access import add_domain_errors, staff_view


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=StaffRole.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=StaffRole.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, required=False)


def _team_page(request, *, invite_form: StaffInviteForm | None = None, status: int = 200):
    tenant = request.access.tenant
    context = {
        "access": request.access,
        "tenant": tenant,
        "members": selectors.staff_list(tenant=tenant),
        "invites": selectors.staff_invites_open(tenant=tenant),
        "invite_form": invite_form or StaffInviteForm(initial={"role": StaffRole.CUSTOMER_SUPPORT}),
        "roles": StaffRole.choices,
    }
    return render(request, "juiced/team/team.html", context, status=status)


def _back_to_team(request):
    return redirect("team", tenant=request.access.tenant.slug)


@staff_view("users.manage")
def team(request):
    """The staff list with roles, pending invites and the invite form."""
    return _team_page(request)


@staff_view("users.manage")
@require_POST
def team_invite_create(request):
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            invite, _raw = services.invite_create(
                tenant=request.access.tenant,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invite.email}.")
            return _back_to_team(request)
    return _team_page(request, invite_form=form, status=422)


def _invite_action(request, invite_id: str, action, done: str):
    invite = selectors.staff_invite_get(tenant=request.access.tenant, public_id=invite_id)
    try:
        action(invite=invite, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done.format(email=invite.email))
    return _back_to_team(request)


@staff_view("users.manage")
@require_POST
def team_invite_resend(request, invite_id: str):
    return _invite_action(request, invite_id, services.invite_resend, "Sent a new link to {email}.")


@staff_view("users.manage")
@require_POST
def team_invite_revoke(request, invite_id: str):
    return _invite_action(request, invite_id, services.invite_revoke, "Revoked the invitation to {email}.")


@staff_view("users.manage")
@require_POST
def team_member_role(request, user_id: str):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the four staff roles.")
        return _back_to_team(request)
    try:
        membership = services.membership_set_role(
            tenant=request.access.tenant,
            actor=request.user,
            user_public_id=user_id,
            role=form.cleaned_data["role"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    return _back_to_team(request)


@staff_view("users.manage")
@require_POST
def team_member_remove(request, user_id: str):
    try:
        services.membership_remove(tenant=request.access.tenant, actor=request.user, user_public_id=user_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back_to_team(request)
    if user_id == request.user.public_id:
        return redirect("home")
    messages.success(request, "Removed from the team; their API tokens were revoked.")
    return _back_to_team(request)


# --- settings: API tokens ---------------------------------------------------------------------------


def _settings_page(
    request, *, token_form: ApiTokenForm | None = None, new_token=None, raw_token: str = "", status: int = 200
):
    tenant = request.access.tenant
    context = {
        "access": request.access,
        "tenant": tenant,
        "tokens": selectors.api_token_list(tenant=tenant),
        "token_form": token_form or ApiTokenForm(),
        "new_token": new_token,
        "raw_token": raw_token,
    }
    return render(request, "juiced/settings/settings.html", context, status=status)


@staff_view("settings.manage")
def tenant_settings(request):
    """API tokens: who owns each, when it was used, and whether it still works."""
    return _settings_page(request)


@staff_view("api_tokens.manage")
@require_POST
def api_token_create(request):
    """Create a token for the signed-in Admin; the raw secret is in this response only, never stored."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(
                tenant=request.access.tenant, user=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            response = _settings_page(request, new_token=token, raw_token=raw, status=201)
            response["Cache-Control"] = "no-store"
            return response
    return _settings_page(request, token_form=form, status=422)


@staff_view("api_tokens.manage")
@require_POST
def api_token_revoke(request, token_id: str):
    token = selectors.api_token_get(tenant=request.access.tenant, public_id=token_id)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked the API token {token.name}.")
    return redirect("tenant_settings", tenant=request.access.tenant.slug)
