"""The Invites tab: invite a customer user, resend, revoke; another customer's invite is 404."""

from __future__ import annotations

from juiced.customers.services import customer_create
from juiced.tenants.models import Invite
from juiced.tenants.roles import CustomerRole, StaffRole
from juiced.tenants.services import invite_create
from tests.web.conftest import customer_url


def test_inviting_a_customer_user_creates_a_pending_invite_and_queues_the_email(
    acme_customer, alice, login_client
):
    data = {"email": "New.Person@AcmeIns.test", "role": CustomerRole.CUSTOMER_ADMIN}
    response = login_client(alice).post(customer_url(acme_customer, "invites/"), data)
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert (invite.customer, invite.email, invite.role, invite.status) == (
        acme_customer,
        "new.person@acmeins.test",
        CustomerRole.CUSTOMER_ADMIN,
        "pending",
    )
    page = login_client(alice).get(customer_url(acme_customer, "invites/")).content.decode()
    assert "new.person@acmeins.test" in page and "Resend" in page and "Revoke" in page


def test_invite_form_errors_keep_the_typed_email(acme_customer, buyer, alice, login_client):
    client = login_client(alice)
    response = client.post(
        customer_url(acme_customer, "invites/"), {"email": "buyer@acmeins.test", "role": "customer_user"}
    )
    assert response.status_code == 422
    assert response.context["invite_form"].errors["email"] == [
        "This person already has access to this customer."
    ]
    assert 'value="buyer@acmeins.test"' in response.content.decode()
    assert not Invite.objects.exists()


def test_revoke_and_resend(acme_customer, alice, login_client):
    invite, _raw = invite_create(
        tenant=acme_customer.tenant,
        actor=alice,
        email="p@p.test",
        role="customer_user",
        customer=acme_customer,
    )
    old_hash = invite.token_hash
    client = login_client(alice)
    assert client.post(customer_url(acme_customer, f"invites/{invite.public_id}/resend/")).status_code == 302
    invite.refresh_from_db()
    assert invite.token_hash != old_hash
    assert client.post(customer_url(acme_customer, f"invites/{invite.public_id}/revoke/")).status_code == 302
    invite.refresh_from_db()
    assert invite.status == "revoked"


def test_another_customers_invite_is_not_found(acme_customer, alice, login_client):
    other = customer_create(tenant=acme_customer.tenant, actor=alice, data={"name": "O", "email": "o@o.test"})
    invite, _raw = invite_create(
        tenant=other.tenant, actor=alice, email="p@p.test", role="customer_user", customer=other
    )
    response = login_client(alice).post(customer_url(acme_customer, f"invites/{invite.public_id}/revoke/"))
    assert response.status_code == 404
    invite.refresh_from_db()
    assert invite.status == "pending"


def test_data_validation_cannot_invite(acme_customer, make_staff, login_client):
    client = login_client(make_staff(StaffRole.DATA_VALIDATION))
    response = client.post(
        customer_url(acme_customer, "invites/"), {"email": "x@x.test", "role": "customer_user"}
    )
    assert response.status_code == 403
    assert not Invite.objects.exists()
