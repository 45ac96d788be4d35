"""Tier validation: every rule and message on the service, nothing saved on refusal, and property tests
for the half-open bracket / overlap rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from juiced.core.errors import NotFound, ValidationFailed
from juiced.core.models import AuditEntry
from juiced.returns import tiers
from juiced.returns.models import CustomerTier, ReturnTier
from juiced.returns.sanitize import sanitize_rich_text
from juiced.returns.settings import return_settings_for, return_settings_update

D = Decimal


def tier(tenant, actor, name, lower=None, upper=None, **extra):
    data = {"name": name, "color": "#123abc", "icon": "star", **extra}
    if lower is not None:
        data.update(lower_bound=lower, upper_bound=upper)
    return tiers.tier_create(tenant=tenant, actor=actor, data=data)


def refused(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as info:
        call(**kwargs)
    return info.value.fields


pytestmark = pytest.mark.django_db


def test_create_sets_fields_position_and_audit(tenant_a, alice):
    golden = tier(tenant_a, alice, "Golden", "0", "5", discount_enabled=True, discount_percent="5")
    ripe = tier(tenant_a, alice, "Ripe", 5, 15)
    assert (golden.position, ripe.position) == (0, 1)
    assert golden.lower_bound == D("0.00") and golden.discount_percent == D("5.00")
    assert AuditEntry.objects.filter(tenant=tenant_a, action="return_tier.created").count() == 2


def test_touching_tiers_are_valid_and_gaps_allowed(tenant_a, alice):
    tier(tenant_a, alice, "A", "0", "5")
    tier(tenant_a, alice, "B", "5", "15")
    tier(tenant_a, alice, "C", "25", "100")
    assert ReturnTier.objects.filter(tenant=tenant_a).count() == 3


def test_overlap_names_the_other_tier(tenant_a, alice):
    tier(tenant_a, alice, "Golden", "0", "10")
    fields = refused(tier, tenant=tenant_a, actor=alice, name="Ripe", lower="5", upper="15")
    message = fields["lower_bound"][0]
    assert "tiers overlap" in message.lower() and "Golden" in message
    assert message == "Tiers overlap: Golden covers 5.00–10.00 %"
    assert fields["upper_bound"] == [message]
    assert not ReturnTier.objects.filter(name="Ripe").exists()


def test_two_tiers_ending_at_100_overlap_at_100(tenant_a, alice):
    tier(tenant_a, alice, "Rotten", "25", "100")
    fields = refused(tier, tenant=tenant_a, actor=alice, name="Point", lower="100", upper="100")
    assert "Rotten" in fields["lower_bound"][0]


def test_name_required_and_unique_per_tenant(tenant_a, tenant_b, alice, bob):
    tier(tenant_a, alice, "Golden", "0", "5")
    assert refused(tier, tenant=tenant_a, actor=alice, name="golden", lower="5", upper="6")["name"] == [
        "A tier named golden already exists."
    ]
    assert refused(tier, tenant=tenant_a, actor=alice, name="  ", lower="5", upper="6")["name"] == [
        tiers.REQUIRED
    ]
    tier(tenant_b, bob, "Golden", "0", "5")  # another tenant may use the name


def test_colour_and_icon(tenant_a, alice):
    fields = refused(
        tier, tenant=tenant_a, actor=alice, name="X", lower="0", upper="5", color="red", icon="nope"
    )
    assert fields["color"] == [tiers.MSG_COLOR]
    assert fields["icon"] == [tiers.MSG_ICON]
    assert tier(tenant_a, alice, "Y", "0", "5", color="#ABCDEF").color == "#abcdef"


def test_bounds_required_in_range_and_ordered(tenant_a, alice):
    fields = refused(tiers.tier_create, tenant=tenant_a, actor=alice, data={"name": "X"})
    assert fields["lower_bound"] == [tiers.MSG_BOUND_REQUIRED]
    assert fields["upper_bound"] == [tiers.MSG_BOUND_REQUIRED]
    fields = refused(tier, tenant=tenant_a, actor=alice, name="X", lower="-1", upper="101")
    assert fields["lower_bound"] == [tiers.MSG_BOUND_RANGE]
    assert fields["upper_bound"] == [tiers.MSG_BOUND_RANGE]
    fields = refused(tier, tenant=tenant_a, actor=alice, name="X", lower="10", upper="5")
    assert fields["upper_bound"] == [tiers.MSG_UPPER_BELOW_LOWER]
    fields = refused(tier, tenant=tenant_a, actor=alice, name="X", lower="1.234", upper="abc")
    assert fields["lower_bound"] == [tiers.MSG_NUMBER] and fields["upper_bound"] == [tiers.MSG_NUMBER]
    assert not ReturnTier.objects.exists()


def test_new_customer_tier_clears_bounds_and_is_unique(tenant_a, alice):
    fresh = tier(tenant_a, alice, "Fresh", "1", "2", applies_to_new_customers=True)
    assert fresh.lower_bound is None and fresh.upper_bound is None
    fields = refused(tier, tenant=tenant_a, actor=alice, name="Fresh2", applies_to_new_customers=True)
    assert fields["applies_to_new_customers"] == [
        "Only one tier can apply to new customers: Fresh already does."
    ]
    tier(tenant_a, alice, "Golden", "0", "5")  # the new-customer tier overlaps nothing


def test_discount_rules(tenant_a, alice):
    fields = refused(
        tier, tenant=tenant_a, actor=alice, name="X", lower="0", upper="5", discount_enabled=True
    )
    assert fields["discount_percent"] == [tiers.MSG_DISCOUNT_REQUIRED]
    for bad in ("0", "100.01"):
        fields = refused(
            tier,
            tenant=tenant_a,
            actor=alice,
            name="X",
            lower="0",
            upper="5",
            discount_enabled=True,
            discount_percent=bad,
        )
        assert fields["discount_percent"] == [tiers.MSG_PERCENT_RANGE]
    off = tier(tenant_a, alice, "Off", "0", "5", discount_percent="5")
    assert off.discount_percent is None  # ignored while the discount is off


def test_penalty_rules(tenant_a, alice):
    base = {"tenant": tenant_a, "actor": alice, "name": "X", "lower": "0", "upper": "5"}
    assert refused(tier, **base, penalty_enabled=True)["penalty_percent"] == [tiers.MSG_PENALTY_REQUIRED]
    assert refused(tier, **base, penalty_enabled=True, penalty_percent="0")["penalty_percent"] == [
        tiers.MSG_PERCENT_RANGE
    ]
    assert refused(tier, **base, penalty_matches_return_rate=True)["penalty_matches_return_rate"] == [
        tiers.MSG_MATCH_WITHOUT_PENALTY
    ]
    match = tier(
        tenant_a,
        alice,
        "Match",
        "0",
        "5",
        penalty_enabled=True,
        penalty_matches_return_rate=True,
        penalty_percent="20",
    )
    assert match.penalty_percent is None
    fixed = tier(tenant_a, alice, "Fixed", "5", "10", penalty_enabled=True, penalty_percent="15")
    assert fixed.penalty_percent == D("15.00")


def test_booleans_must_be_booleans_and_unknown_fields(tenant_a, alice):
    fields = refused(
        tier, tenant=tenant_a, actor=alice, name="X", lower="0", upper="5", discount_enabled="yes"
    )
    assert fields["discount_enabled"] == ["Must be true or false."]
    fields = refused(tiers.tier_create, tenant=tenant_a, actor=alice, data={"name": "X", "bogus": 1})
    assert fields == {"bogus": ["Unknown field."]}


def test_long_description_sanitised(tenant_a, alice):
    made = tier(
        tenant_a,
        alice,
        "X",
        "0",
        "5",
        long_description='<p onclick="x()">Hi <b>bold</b> <script>alert(1)</script><a href="y">link</a></p>',
    )
    assert made.long_description == "<p>Hi <b>bold</b> link</p>"


def test_sanitiser_allow_list():
    html = "<p>a <strong>b</strong> <em>c</em> <u>d</u> <s>e</s> <del>f</del><br/></p>"
    assert sanitize_rich_text(html) == html.replace("<br/>", "<br>")
    assert sanitize_rich_text("<ul><li>x</li></ul><ol><li>y") == "<ul><li>x</li></ul><ol><li>y</li></ol>"
    assert sanitize_rich_text("<img src=x onerror=alert(1)><style>p{}</style>&lt;b&gt;") == "&lt;b&gt;"
    assert sanitize_rich_text("<div><h1>T</h1><i class='z'>i</i></div>") == "T<i>i</i>"


def test_update_revalidates_against_others_and_changes_nothing_on_refusal(tenant_a, alice):
    tier(tenant_a, alice, "Golden", "0", "5")
    ripe = tier(tenant_a, alice, "Ripe", "5", "15")
    fields = refused(tiers.tier_update, tier=ripe, actor=alice, data={"lower_bound": "4"})
    assert "Golden" in fields["lower_bound"][0]
    ripe.refresh_from_db()
    assert ripe.lower_bound == D("5.00")
    updated = tiers.tier_update(tier=ripe, actor=alice, data={"upper_bound": "20", "headline": "Normal"})
    assert updated.upper_bound == D("20.00") and updated.headline == "Normal"
    assert tiers.tier_update(tier=ripe, actor=alice, data={"name": "Ripe"}).name == "Ripe"  # itself is fine
    flagged = tiers.tier_update(tier=ripe, actor=alice, data={"applies_to_new_customers": True})
    assert flagged.lower_bound is None


def test_reorder_and_move_change_display_only(tenant_a, alice, tenant_b, bob):
    a, b, c = (tier(tenant_a, alice, n, str(i * 10), str(i * 10 + 10)) for i, n in enumerate("ABC"))
    tiers.tiers_reorder(tenant=tenant_a, actor=alice, order=[c.public_id, a.public_id])
    assert [t.name for t in tiers.tiers_for(tenant=tenant_a)] == ["C", "A", "B"]
    tiers.tier_move(tier=tiers.tier_get(tenant=tenant_a, public_id=b.public_id), actor=alice, direction="up")
    assert [t.name for t in tiers.tiers_for(tenant=tenant_a)] == ["C", "B", "A"]
    a.refresh_from_db()
    assert a.lower_bound == D("0.00")
    other = tier(tenant_b, bob, "Other", "0", "5")
    with pytest.raises(NotFound):
        tiers.tiers_reorder(tenant=tenant_a, actor=alice, order=[other.public_id])


def test_bulk_delete_all_or_none_and_customers_keep_no_tier(tenant_a, alice, acme_customer, tenant_b, bob):
    a = tier(tenant_a, alice, "A", "0", "5")
    b = tier(tenant_a, alice, "B", "5", "10")
    other = tier(tenant_b, bob, "Other", "0", "5")
    CustomerTier.objects.create(tenant=tenant_a, customer=acme_customer, tier=a)
    with pytest.raises(NotFound):
        tiers.tiers_delete(tenant=tenant_a, actor=alice, public_ids=[a.public_id, other.public_id])
    assert ReturnTier.objects.filter(tenant=tenant_a).count() == 2
    assert tiers.tiers_delete(tenant=tenant_a, actor=alice, public_ids=[a.public_id, b.public_id]) == 2
    assert CustomerTier.objects.get(customer=acme_customer).tier is None
    assert AuditEntry.objects.filter(action="return_tier.deleted").count() == 2


def test_settings_created_on_first_read_and_validated(tenant_a, alice):
    found = return_settings_for(tenant_a)
    assert found.window_days == 7 and found.returns_enabled and not found.tiers_enabled
    updated = return_settings_update(
        tenant=tenant_a,
        actor=alice,
        data={
            "tiers_enabled": True,
            "policy_url": "https://x.test/p",
            "return_window_days": "10",
            "reasons": "Bad phone\n\nBad phone\nOther",
            "rate_window_days": "",
        },
    )
    assert updated.tiers_enabled and updated.window_days == 10 and updated.reasons == ["Bad phone", "Other"]
    assert updated.rate_window_days is None
    with pytest.raises(ValidationFailed) as info:
        return_settings_update(
            tenant=tenant_a,
            actor=alice,
            data={
                "policy_url": "ftp://x",
                "return_window_days": 0,
                "reasons": [],
                "rate_window_days": "x",
                "tiers_enabled": False,
            },
        )
    assert set(info.value.fields) == {"policy_url", "return_window_days", "reasons", "rate_window_days"}
    updated.refresh_from_db()
    assert updated.tiers_enabled and updated.window_days == 10
    assert AuditEntry.objects.filter(action="return_settings.updated").count() == 1


# --- property tests: the half-open bracket rule -----------------------------------------------------------

cents = st.integers(min_value=0, max_value=10000)


def _bracket(draw_pair):
    lo, hi = sorted(draw_pair)
    return D(lo) / 100, D(hi) / 100


@given(st.tuples(cents, cents).map(_bracket), st.tuples(cents, cents).map(_bracket))
def test_overlap_iff_some_rate_is_in_both(a, b):
    shared = tiers.brackets_overlap(a, b)
    candidate = max(a[0], b[0])  # the smallest rate in both, if any
    in_both = tiers.bracket_contains(*a, candidate) and tiers.bracket_contains(*b, candidate)
    assert (shared is not None) == in_both
    assert tiers.brackets_overlap(b, a) == shared


@given(st.lists(st.tuples(cents, cents).map(_bracket), max_size=6), st.lists(cents, max_size=20))
def test_an_accepted_ladder_puts_every_rate_in_at_most_one_tier(brackets, rates):
    accepted: list[tiers.Bracket] = []
    for i, (lower, upper) in enumerate(brackets):
        data = {
            "name": f"T{i}",
            "color": "#000000",
            "icon": "star",
            "lower_bound": lower,
            "upper_bound": upper,
        }
        try:
            tiers.tier_validate(data, others=accepted)
        except ValidationFailed as exc:
            assert any("tiers overlap" in m.lower() for m in exc.fields["lower_bound"])
            continue
        accepted.append(tiers.Bracket(f"T{i}", False, lower, upper))
    for rate in [D(r) / 100 for r in rates] + [D(0), D(100)]:
        assert sum(tiers.bracket_contains(t.lower, t.upper, rate) for t in accepted) <= 1


@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=1, max_value=10000))
def test_touching_brackets_never_overlap(lower, width):
    middle = min(lower + width, 10000)
    top = 10000
    assert tiers.brackets_overlap(
        (D(lower) / 100, D(middle) / 100), (D(middle) / 100, D(top) / 100)
    ) is None or (middle == top)
