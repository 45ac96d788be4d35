"""The `juiced` command, run in-process against the test database."""

from __future__ import annotations

import json

import pytest

from juiced.config.cli import main
from juiced.customers.models import Customer, CustomerMembership
from juiced.tenants.models import ApiToken, Membership, Tenant, User
from juiced.tenants.services import api_token_authenticate
from juiced.wallets.models import Hold, Transaction, TransactionEvent, Wallet
from juiced.wallets.selectors import ledger_check
from juiced.wallets.services import wallet_credit

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "tenants": Tenant.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "customers": Customer.objects.count(),
        "customer_users": CustomerMembership.objects.count(),
        "transactions": Transaction.objects.count(),
        "holds": Hold.objects.count(),
    }


def test_demo_loads_a_tenant_with_every_role_a_buyer_and_a_dozen_customers(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "admin@demo.test / demo" in out and "buyer@demo.test / demo" in out
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.name == "Demo Leads"
    roles = set(Membership.objects.filter(tenant=tenant).values_list("role", flat=True))
    assert roles == {"admin", "customer_support", "sales", "data_validation", "cashier", "vending_supervisor"}
    assert Customer.objects.filter(tenant=tenant).count() >= 12
    buyer = User.objects.get(email="buyer@demo.test")
    assert buyer.check_password("demo")
    assert CustomerMembership.objects.filter(user=buyer, role="customer_admin").count() == 2


def test_demo_covers_every_transaction_event_and_every_display_status():
    from juiced.customers.selectors import customer_statuses

    assert main(["demo"]) == 0
    events = set(Transaction.objects.values_list("event", flat=True))
    assert events == set(TransactionEvent.values)
    assert Transaction.objects.filter(event=TransactionEvent.LEAD_ASSIGNED, related_type="lead").exists()
    assert all(
        rid.startswith("lead_")
        for rid in Transaction.objects.filter(related_type="lead").values_list("related_id", flat=True)
    )
    customers = Customer.objects.filter(tenant__slug="demo").select_related("wallet")
    displays = {str(customer_statuses(c).display) for c in customers}
    assert displays == {"Active", "Paused", "Inactive", "Archived"}
    assert Hold.objects.filter(status=Hold.Status.ACTIVE).exists()
    assert ledger_check() == (customers.count(), [])


def test_demo_twice_changes_nothing(capsys):
    assert main(["demo"]) == 0
    before = _counts()
    balances = dict(Wallet.objects.values_list("customer__name", "balance"))
    assert main(["demo"]) == 0
    assert _counts() == before
    assert dict(Wallet.objects.values_list("customer__name", "balance")) == balances
    assert "Already loaded" in capsys.readouterr().out


def test_demo_json_prints_one_object_with_urls_logins_and_a_working_token(capsys):
    assert main(["demo", "--json"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out)  # stdout holds exactly one JSON object, nothing else
    assert set(summary) == {"dashboard_url", "portal_url", "admin", "buyer", "api_token", "source"}
    assert set(summary["source"]) == {"api_key", "api_secret"}
    assert summary["dashboard_url"].endswith("/manage/demo/customers/")
    assert summary["portal_url"].endswith("/app/")
    assert summary["admin"] == {"email": "admin@demo.test", "password": "demo"}
    assert summary["buyer"] == {"email": "buyer@demo.test", "password": "demo"}
    token, membership = api_token_authenticate(summary["api_token"])
    assert token.tenant.slug == "demo" and membership.role == "admin"


def test_demo_json_again_revokes_the_previous_demo_token(capsys):
    assert main(["demo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["api_token"]
    assert main(["demo", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)["api_token"]
    assert api_token_authenticate(first) is None
    assert api_token_authenticate(second) is not None
    assert ApiToken.objects.filter(name="demo", revoked_at__isnull=True).count() == 1


def test_token_create_prints_the_raw_token_on_its_last_line(capsys, tenant_a, alice):
    assert main(["token", "create", "--tenant", "acme-leads", "--email", "alice@acme.test"]) == 0
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    token, membership = api_token_authenticate(last_line)
    assert token.tenant == tenant_a and membership.user == alice


def test_token_create_refuses_unknown_tenant_user_or_non_staff(capsys, tenant_a, tenant_b, alice):
    assert main(["token", "create", "--tenant", "nope", "--email", "alice@acme.test"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["token", "create", "--tenant", "acme-leads", "--email", "ghost@acme.test"]) == 2
    assert "ghost@acme.test" in capsys.readouterr().err
    # alice is staff at Acme, not at Bolt
    assert main(["token", "create", "--tenant", "bolt-leads", "--email", "alice@acme.test"]) == 2
    assert ApiToken.objects.count() == 0


def test_createtenant_creates_tenant_and_admin(capsys):
    args = [
        "--slug",
        "zen",
        "--name",
        "Zen Leads",
        "--admin-email",
        "zoe@zen.test",
        "--admin-password",
        "x9!",
    ]
    assert main(["createtenant", *args]) == 0
    membership = Membership.objects.get(tenant__slug="zen")
    assert membership.user.email == "zoe@zen.test" and membership.role == "admin"


def test_createtenant_prints_every_field_error_and_creates_nothing(capsys, tenant_a):
    args = ["--slug", "acme-leads", "--name", " ", "--admin-email", "a@b.test", "--admin-password", "pw"]
    before = _counts()
    assert main(["createtenant", *args]) == 2
    err = capsys.readouterr().err
    assert "--slug: A tenant with this slug exists." in err
    assert "--name: This field is required." in err
    assert _counts() == before


def test_ledger_check_is_clean_after_real_activity(capsys, acme_customer, alice):
    wallet_credit(wallet=acme_customer.wallet, amount=5_000, description="Top-up", actor=alice)
    assert main(["ledger", "check"]) == 0
    assert "Checked 1 wallets" in capsys.readouterr().out


def test_ledger_check_names_every_wallet_whose_cache_disagrees(capsys, acme_customer, bolt_customer, alice):
    wallet_credit(wallet=acme_customer.wallet, amount=5_000, description="Top-up", actor=alice)
    # Corrupt the cached sums behind the services' back, as a bad migration or manual SQL might.
    Wallet.objects.filter(pk=acme_customer.wallet.pk).update(balance=9_999)
    Wallet.objects.filter(pk=bolt_customer.wallet.pk).update(balance=100, held=100)
    assert main(["ledger", "check"]) == 1
    out = capsys.readouterr().out
    assert "2 disagree" in out
    assert acme_customer.public_id in out and bolt_customer.public_id in out
    assert "cached balance 9999 vs ledger 5000" in out


@pytest.mark.django_db(transaction=True)  # the worker closes connections that are inside a transaction
def test_worker_reclaims_tasks_left_running_by_a_killed_worker(capsys):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from juiced.tenants.tasks import send_email

    stale = send_email.enqueue(to="a@b.test", subject="s", body="b")
    fresh = send_email.enqueue(to="c@d.test", subject="s", body="b")
    DBTaskResult.objects.filter(pk=stale.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    DBTaskResult.objects.filter(pk=fresh.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=1)
    )
    assert main(["worker", "--batch"]) == 0
    assert DBTaskResult.objects.get(pk=stale.id).status == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(pk=fresh.id).status == TaskResultStatus.RUNNING  # may still be running
    assert "Marked 1 task(s)" in capsys.readouterr().err


def test_manage_passes_through_to_django(capsys):
    assert main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out
    assert main(["manage", "--help"]) == 0  # Django's options are Django's, not ours
    assert "juiced manage help <subcommand>" in capsys.readouterr().out


def test_demo_changes_are_audited_as_the_admin():
    assert main(["demo"]) == 0
    admin = User.objects.get(email="admin@demo.test")
    evergreen = Customer.objects.get(name="Evergreen Mortgage")
    assert evergreen.audit_entries.filter(action="customer.archived", actor=admin).exists()
    assert evergreen.audit_entries.filter(action="funds.removed", actor=admin).exists()
