"""`/`: send each person to where they work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from juiced.core.tenancy import customer_memberships
from juiced.tenants.models import Membership


@login_required
def home(request):
    membership = Membership.objects.filter(user=request.user).select_related("tenant").order_by("id").first()
    if membership is not None:
        return redirect(f"/manage/{membership.tenant.slug}/customers/")
    if customer_memberships(request.user).exists():
        return redirect("/app/")
    return render(request, "juiced/no_access.html", status=403)
