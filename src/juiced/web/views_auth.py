"""Accounts pages: log in, password reset (Django's views, our mail queue), invitation acceptance and
a business's self-registration (`/app/register/<tenant>/`, linked from `/login/?tenant=<tenant>`).

An invitation link is the only credential a newcomer has, so a link that is used, revoked, expired or
unknown gets the same "invalid or expired" page with a 404 and reveals nothing else.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse

from juiced.core.errors import DomainError, NotFound, PermissionDenied
from juiced.core.tasks import enqueue_on_commit
from juiced.customers.onboarding import onboarding_progress
from juiced.customers.selectors import signup_tenant
from juiced.customers.services import REGISTRATION_CLOSED, customer_register
from juiced.tenants.selectors import user_by_email
from juiced.tenants.services import invite_accept, invite_lookup
from juiced.tenants.tasks import send_email
from juiced.web.access import PORTAL_SESSION_KEY, add_domain_errors
from juiced.web.forms import CustomerRegistrationForm


class EmailLoginForm(AuthenticationForm):
    """Django's login form with the e-mail as username, matched the way accounts store it (lowercase)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail"
        self.fields["username"].widget.input_type = "email"
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        return (self.cleaned_data.get("username") or "").strip().lower()


class LoginView(auth_views.LoginView):
    """Django's login page; `?tenant=<slug>` adds that marketplace's sign-up link when it takes sign-ups."""

    template_name = "juiced/auth/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        slug = self.request.GET.get("tenant", "")
        if slug:
            try:
                tenant, allowed = signup_tenant(slug=slug)
            except NotFound:
                allowed = False
            if allowed:
                context["register_url"] = reverse("portal_register", args=[tenant.slug])
                context["register_tenant"] = tenant
        return context


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose e-mail goes out from the background worker, like every other e-mail."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        context = {**context, "base_url": settings.JUICED_BASE_URL}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        enqueue_on_commit(send_email, to=to_email, subject=subject, body=body)


# --- invitations ------------------------------------------------------------------------------------


class InviteSignupForm(forms.Form):
    """A newcomer names themselves and chooses a password."""

    name = forms.CharField(label="Your name", max_length=200, required=False)
    password = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class InviteLoginForm(forms.Form):
    """Someone who already has an account proves it with their password."""

    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class InviteConfirmForm(forms.Form):
    """Already logged in as the invited e-mail: one click accepts."""


def _invite_invalid(request, message: str):
    return render(request, "juiced/auth/invite_invalid.html", {"message": message}, status=404)


def invite_accept_view(request, token: str):
    """Show who invited you to what; on POST accept (sign up, log in, or just confirm) and go home."""
    try:
        invite = invite_lookup(token)
    except NotFound as exc:
        return _invite_invalid(request, exc.message)
    account = user_by_email(email=invite.email)
    if account is None:
        mode, form_class = "signup", InviteSignupForm
    elif request.user.is_authenticated and request.user.pk == account.pk:
        mode, form_class = "confirm", InviteConfirmForm
    else:
        mode, form_class = "login", InviteLoginForm

    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data.get("password", "")
        if mode == "login" and authenticate(request, username=invite.email, password=password) is None:
            form.add_error("password", f"That is not the password of {invite.email}.")
        else:
            try:
                user = invite_accept(
                    raw_token=token, name=form.cleaned_data.get("name", ""), password=password
                )
            except NotFound as exc:
                return _invite_invalid(request, exc.message)
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                if mode == "confirm":
                    return redirect("home")
                # Log in only with the password just typed: never on the strength of the link alone.
                signed_in = authenticate(request, username=user.email, password=password)
                if signed_in is None:
                    return redirect("login")
                login(request, signed_in)
                return redirect("home")
    where = invite.customer.name if invite.customer else invite.tenant.name
    context = {"invite": invite, "where": where, "mode": mode, "form": form}
    return render(request, "juiced/auth/invite_accept.html", context)


# --- self-registration ------------------------------------------------------------------------------


def register_view(request, tenant: str):
    """A business signs itself up: the person (new or linked), the customer; logs in; opens the portal."""
    try:
        marketplace, allowed = signup_tenant(slug=tenant)
    except NotFound as exc:
        return render(request, "juiced/auth/register_closed.html", {"message": exc.message}, status=404)
    if not allowed:
        message = REGISTRATION_CLOSED.format(tenant=marketplace.name)
        return render(request, "juiced/auth/register_closed.html", {"message": message}, status=404)
    form = CustomerRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            customer, user = customer_register(tenant=marketplace, **data)
        except PermissionDenied as exc:
            return render(request, "juiced/auth/register_closed.html", {"message": exc.message}, status=404)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            signed_in = authenticate(request, username=user.email, password=data["password"])
            if signed_in is None:
                return redirect(reverse("login") + f"?tenant={marketplace.slug}")
            login(request, signed_in)
            request.session[PORTAL_SESSION_KEY] = customer.public_id
            messages.success(request, f"Welcome! {customer.name} is registered with {marketplace.name}.")
            if not onboarding_progress(customer=customer).may_bid:
                return redirect("portal_onboarding")
            return redirect("portal_wallet")
    context = {
        "form": form,
        "marketplace": marketplace,
        "login_url": reverse("login") + f"?tenant={marketplace.slug}",
    }
    return render(request, "juiced/auth/register.html", context, status=422 if form.errors else 200)
