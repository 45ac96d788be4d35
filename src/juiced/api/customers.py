"""/api/manage/customers: list, create, get, patch, and the archive/restore/pause/unpause actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from juiced.api.auth import access_of
from juiced.api.representations import MAX_PER_PAGE, customer_object, page_of
from juiced.api.schemas import CustomerCreateIn, CustomerListOut, CustomerOut, CustomerPatchIn, ErrorOut
from juiced.customers.models import Customer
from juiced.customers.selectors import customer_list, customer_statuses, customer_statuses_many
from juiced.customers.services import (
    customer_archive,
    customer_create,
    customer_pause,
    customer_restore,
    customer_unpause,
    customer_update,
)

router = Router(tags=["customers"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Sort = Literal["name", "-name", "created", "-created", "available", "-available", "email", "-email"]


def _one(customer: Customer) -> dict[str, Any]:
    return customer_object(customer, customer_statuses(customer))


@router.get("/customers", response={200: CustomerListOut, **ERRORS}, summary="List customers")
def list_customers(
    request: HttpRequest,
    search: str = "",
    operational: Literal["active", "paused", "archived"] | None = None,
    funding: Literal["available", "limited", "exhausted"] | None = None,
    archived: Literal["exclude", "include", "only"] = "exclude",
    sort: Sort = "name",
    page: int = Query(1, ge=1),
    per_page: int = Query(25, ge=1, le=MAX_PER_PAGE),
):
    """Search by name, email or a linked user's name/email; filter; sort; paginate (3 queries a page)."""
    access = access_of(request)
    access.require("customers.view")
    customers = customer_list(
        customers=access.customers(),
        search=search,
        operational=operational or "",
        funding=funding or "",
        archived=archived,
        sort=sort,
    )
    rows, meta = page_of(customers, page=page, per_page=per_page)
    statuses = customer_statuses_many(rows)
    return {**meta, "data": [customer_object(c, statuses[c.pk]) for c in rows]}


@router.post("/customers", response={201: CustomerOut, **ERRORS}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerCreateIn):
    """Create a customer with an empty wallet (it starts Exhausted)."""
    access = access_of(request)
    access.require("customers.edit")
    customer = customer_create(
        tenant=access.tenant, actor=access.user, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, _one(customer))


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: str):
    return _one(access_of(request).customer(customer_id, permission="customers.view"))


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Update a customer")
def update_customer(request: HttpRequest, customer_id: str, payload: CustomerPatchIn):
    """Change only the fields sent; every change is audited."""
    access = access_of(request)
    customer = access.customer(customer_id, permission="customers.edit")
    data = payload.model_dump(exclude_unset=True)
    return _one(customer_update(customer=customer, actor=access.user, data=data))


def _action(name: str, service: Callable[..., Customer], summary: str) -> None:
    def handler(request: HttpRequest, customer_id: str):
        access = access_of(request)
        customer = access.customer(customer_id, permission="customers.edit")
        return _one(service(customer=customer, actor=access.user))

    handler.__name__ = f"{name}_customer"
    handler.__doc__ = f"{summary}; 409 invalid_state when the customer is not in a state that allows it."
    router.post(f"/customers/{{customer_id}}/{name}", response={200: CustomerOut, **ERRORS}, summary=summary)(
        handler
    )


_action("archive", customer_archive, "Archive a customer")
_action("restore", customer_restore, "Restore an archived customer")
_action("pause", customer_pause, "Pause a customer")
_action("unpause", customer_unpause, "Unpause a customer")
