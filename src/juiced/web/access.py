"""Web side of the tenancy choke point: decorators that resolve access once per request.

`@staff_view("permission")` gives the view `request.access` (a StaffAccess for the URL's tenant) and
turns NotFound into 404 and PermissionDenied into 403; `@portal_view` gives `request.portal` (a
CustomerAccess for the customer chosen in the switcher). Views never query tenant data otherwise.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.template.loader import render_to_string

from juiced.core.errors import DomainError, NotFound, PermissionDenied
from juiced.core.tenancy import customer_access, customer_memberships, staff_access

PORTAL_SESSION_KEY = "portal_customer"


def _forbidden(request, message: str):
    html = render_to_string("juiced/forbidden.html", {"message": message}, request=request)
    return HttpResponseForbidden(html)


def staff_view(permission: str | None = None):
    """Resolve `request.access` for the `tenant` URL argument and require `permission`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, tenant: str, *args, **kwargs):
            try:
                request.access = staff_access(request.user, tenant)
                if permission:
                    request.access.require(permission)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except PermissionDenied as exc:
                return _forbidden(request, exc.message)

        return wrapper

    return decorator


def portal_view(permission: str | None = None):
    """Resolve `request.portal` for the customer chosen in the session (or the user's first one)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                request.portal = customer_access(request.user, request.session.get(PORTAL_SESSION_KEY))
            except NotFound:
                try:
                    request.portal = customer_access(request.user, None)
                except NotFound:
                    raise Http404("You do not have access to any customer account.") from None
            request.session[PORTAL_SESSION_KEY] = request.portal.customer.public_id
            request.portal_switcher = list(customer_memberships(request.user))
            try:
                if permission:
                    request.portal.require(permission)
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from None
            except PermissionDenied as exc:
                return _forbidden(request, exc.message)

        return wrapper

    return decorator


def add_domain_errors(form, exc: DomainError) -> None:
    """Show a service's field-level messages next to the form's fields (others at the top)."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for field, messages in exc.fields.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
