"""`/`: send each person to where they work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from juiced.core.tenancy import customer_memberships
from juiced.tenants.models import Membership
from juiced.tenants.roles import role_can


@login_required
def home(request):
    membership = Membership.objects.filter(user=request.user).select_related("tenant").order_by("id").first()
    if membership is not None:
        if role_can(membership.role, "vending.view") and not role_can(membership.role, "leads.view"):
            return redirect(f"/manage/{membership.tenant.slug}/vending/")  # Cashier, Vending Supervisor
        return redirect(f"/manage/{membership.tenant.slug}/customers/")
    if customer_memberships(request.user).exists():
        return redirect("/app/")
    return render(request, "juiced/no_access.html", status=403)
