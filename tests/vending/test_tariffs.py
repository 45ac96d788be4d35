"""The tariff maths: examples from docs/vending.md and hypothesis properties (pure, no database)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from juiced.core.errors import ValidationFailed
from juiced.vending.tariffs import (
    Quote,
    QuoteRequest,
    Terms,
    cost_mc,
    quote,
    tariff_terms_validate,
)

BLOCKS = [
    {"up_to_kwh": 50, "rate": 12_000},
    {"up_to_kwh": 200, "rate": 18_000},
    {"up_to_kwh": None, "rate": 25_000},
]
TOU = [
    {"start": "00:00", "end": "06:00", "rate": 9_000},
    {"start": "06:00", "end": "18:00", "rate": 20_000},
    {"start": "18:00", "end": "00:00", "rate": 30_000},
]


def flat(rate=20_000, **terms) -> Terms:
    return Terms.from_fields(kind="flat", flat_rate=rate, **terms)


def blocks(**terms) -> Terms:
    return Terms.from_fields(kind="blocks", blocks=BLOCKS, **terms)


def test_worked_example_from_the_docs():
    # 20.00 on inclining blocks, 45 kWh bought earlier this month, 1.00 per purchase, 16 % tax.
    terms = Terms.from_fields(
        kind="blocks",
        blocks=[{"up_to_kwh": 50, "rate": 12_000}, {"up_to_kwh": None, "rate": 25_000}],
        fixed_per_purchase=100,
        tax_bp=1_600,
    )
    q = quote(QuoteRequest(amount=2_000, terms=terms, month_wh_before=45_000))
    assert (q.tax, q.fixed_charges, q.energy_money) == (276, 100, 1_624)
    assert q.energy_wh == 67_500  # 5 kWh at 12 ¢ + 62.5 kWh at 25 ¢ = 1622.5 ¢
    assert q.carry_out_mc == 1_500
    assert [line for line in q.lines if line["label"].startswith("Block")] == [
        {"label": "Block 1", "wh": 5_000, "rate": 12_000},
        {"label": "Block 2", "wh": 62_500, "rate": 25_000},
    ]


def test_flat_rate_rounds_energy_down_and_carries_the_rest():
    q = quote(QuoteRequest(amount=1_001, terms=flat(20_000)))
    assert q.energy_wh == 50_000  # 10.01 at 20 ¢/kWh = 50.05 kWh → 50.0 kWh
    assert q.carry_out_mc == 1_000  # the cent's worth of 0.05 kWh
    again = quote(QuoteRequest(amount=1_001, terms=flat(20_000), carry_in_mc=q.carry_out_mc))
    assert again.energy_wh == 50_100 and again.carry_out_mc == 0


def test_arrears_share_is_taken_first_and_capped_at_the_debt():
    q = quote(QuoteRequest(amount=1_000, terms=flat(), arrears_balance=5_000, arrears_recovery_bp=2_500))
    assert q.arrears_share == 250 and q.energy_money == 750
    capped = quote(QuoteRequest(amount=1_000, terms=flat(), arrears_balance=40, arrears_recovery_bp=2_500))
    assert capped.arrears_share == 40 and capped.energy_money == 960


def test_fixed_charges_per_purchase_and_per_day_since_last_purchase():
    q = quote(
        QuoteRequest(amount=1_000, terms=flat(fixed_per_purchase=50, fixed_per_day=10), days_since_last=3)
    )
    assert q.fixed_charges == 80 and q.energy_money == 920


def test_an_amount_that_does_not_cover_the_fixed_charges_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        quote(QuoteRequest(amount=99, terms=flat(fixed_per_purchase=100)))
    assert "fixed charges" in exc.value.fields["amount"][0]


def test_minimum_from_the_tariff_or_the_account_and_maximum():
    with pytest.raises(ValidationFailed) as exc:
        quote(QuoteRequest(amount=499, terms=flat(minimum_purchase=500)))
    assert exc.value.fields["amount"] == ["The minimum purchase is 5.00."]
    assert (
        quote(QuoteRequest(amount=300, terms=flat(minimum_purchase=500), minimum_purchase=200)).amount == 300
    )
    with pytest.raises(ValidationFailed) as exc:
        quote(QuoteRequest(amount=10_001, terms=flat(), maximum_purchase=10_000))
    assert exc.value.fields["amount"] == ["The maximum purchase is 100.00."]


def test_time_of_use_picks_the_window_of_the_local_time():
    terms = Terms.from_fields(kind="tou", tou=TOU)
    night = quote(QuoteRequest(amount=900, terms=terms, local_time=datetime.time(3, 30)))
    evening = quote(QuoteRequest(amount=900, terms=terms, local_time=datetime.time(23, 59)))
    assert night.energy_wh == 100_000 and evening.energy_wh == 30_000


def test_discount_lowers_the_energy_price():
    q = quote(QuoteRequest(amount=1_000, terms=flat(20_000), discount_bp=1_000))
    assert q.energy_wh == 55_500  # 10.00 at 18 ¢/kWh = 55.55 kWh
    assert q.discount == 111  # 55.5 kWh at 2 ¢ off


def test_validation_of_blocks_and_time_of_use():
    with pytest.raises(ValidationFailed) as exc:
        tariff_terms_validate(
            "blocks", {"blocks": [{"up_to_kwh": 50, "rate": 100}, {"up_to_kwh": 40, "rate": 200}]}
        )
    assert exc.value.fields["blocks"]
    with pytest.raises(ValidationFailed) as exc:
        tariff_terms_validate("tou", {"tou": [{"start": "00:00", "end": "12:00", "rate": 1}]})
    assert "cover 24 hours" in exc.value.fields["tou"][0]
    with pytest.raises(ValidationFailed) as exc:
        tariff_terms_validate(
            "tou",
            {
                "tou": [
                    {"start": "00:00", "end": "13:00", "rate": 1},
                    {"start": "12:00", "end": "00:00", "rate": 2},
                ]
            },
        )
    assert "overlap" in exc.value.fields["tou"][0]
    with pytest.raises(ValidationFailed) as exc:
        tariff_terms_validate("flat", {"flat_rate": "", "tax_bp": "abc"})
    assert set(exc.value.fields) == {"flat_rate", "tax_bp"}
    wrapped = tariff_terms_validate(
        "tou",
        {
            "tou": [
                {"start": "22:00", "end": "06:00", "rate": 5},
                {"start": "06:00", "end": "22:00", "rate": 9},
            ]
        },
    )
    assert wrapped["tou"][0] == {"start": "22:00", "end": "06:00", "rate": 5}
    cleaned = tariff_terms_validate("blocks", {"blocks": BLOCKS, "tax_bp": "1600", "fixed_per_day": 5})
    assert cleaned["tax_bp"] == 1_600 and cleaned["blocks"] == BLOCKS and cleaned["flat_rate"] is None


# --- properties ------------------------------------------------------------------------------------------

rates = st.integers(min_value=1, max_value=200_000)
terms_strategy = st.one_of(
    st.builds(
        lambda rate, fpp, fpd, tax: flat(rate, fixed_per_purchase=fpp, fixed_per_day=fpd, tax_bp=tax),
        rates,
        st.integers(0, 200),
        st.integers(0, 50),
        st.integers(0, 3_000),
    ),
    st.builds(
        lambda r1, r2, r3, limit, tax: Terms.from_fields(
            kind="blocks",
            blocks=[
                {"up_to_kwh": limit, "rate": r1},
                {"up_to_kwh": limit * 3, "rate": r2},
                {"up_to_kwh": None, "rate": r3},
            ],
            tax_bp=tax,
        ),
        rates,
        rates,
        rates,
        st.integers(1, 100),
        st.integers(0, 3_000),
    ),
)
requests = st.builds(
    QuoteRequest,
    amount=st.integers(1_000, 2_000_000),
    terms=terms_strategy,
    month_wh_before=st.integers(0, 500_000),
    days_since_last=st.integers(0, 10),
    arrears_balance=st.integers(0, 100_000),
    arrears_recovery_bp=st.integers(0, 5_000),
    carry_in_mc=st.integers(0, 100_000),
    discount_bp=st.integers(0, 5_000),
    energy_unit_wh=st.sampled_from([100, 100, 200, 1_000]),
)


def _pieces(req: QuoteRequest):
    return req.terms.pieces(month_wh_before=req.month_wh_before, local_time=req.local_time)


def _try(req: QuoteRequest) -> Quote | None:
    try:
        return quote(req)
    except ValidationFailed:
        return None


@settings(max_examples=300, deadline=None)
@given(requests)
def test_money_and_energy_value_are_conserved(req):
    q = _try(req)
    if q is None:
        return
    assert q.amount == q.arrears_share + q.fixed_charges + q.tax + q.energy_money
    assert q.energy_wh % 100 == 0 and q.energy_wh % req.energy_unit_wh == 0
    assert (
        q.energy_money * 1000 + q.carry_in_mc
        == cost_mc(q.energy_wh, _pieces(req), req.discount_bp) + q.carry_out_mc
    )
    assert q.arrears_share <= req.arrears_balance and min(q.arrears_share, q.tax, q.energy_money) >= 0


@settings(max_examples=300, deadline=None)
@given(requests)
def test_carry_out_is_below_the_price_of_the_next_energy_unit(req):
    """Proved: 0 <= carry_out < cost(energy + unit) − cost(energy) <= ceil(unit × highest rate / 1000)."""
    q = _try(req)
    if q is None:
        return
    pieces = _pieces(req)
    next_unit = cost_mc(q.energy_wh + req.energy_unit_wh, pieces, req.discount_bp) - cost_mc(
        q.energy_wh, pieces, req.discount_bp
    )
    highest_rate = max(rate for _i, _c, rate in pieces)
    assert 0 <= q.carry_out_mc < next_unit <= -(-req.energy_unit_wh * highest_rate // 1000)


@settings(max_examples=200, deadline=None)
@given(requests, st.integers(1, 50_000))
def test_more_money_never_buys_less_energy(req, more):
    q = _try(req)
    if q is None:
        return
    bigger = quote(QuoteRequest(**{**req.__dict__, "amount": req.amount + more}))
    assert bigger.energy_wh >= q.energy_wh


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300_000), st.integers(1, 300_000), st.integers(0, 9_000))
def test_blocks_are_priced_piecewise(before, wh, discount_bp):
    """The cost of a purchase crossing blocks is the sum of each block's share at its rate (one ceiling)."""
    pieces = blocks().pieces(month_wh_before=before, local_time=datetime.time(12))
    limits = [(0, 50_000, 12_000), (50_000, 200_000, 18_000), (200_000, 10**12, 25_000)]
    exact = sum(
        max(0, min(high, before + wh) - max(low, before)) * rate * (10_000 - discount_bp)
        for low, high, rate in limits
    )
    assert cost_mc(wh, pieces, discount_bp) == -(-exact // 10_000_000)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(500, 50_000), min_size=2, max_size=12),
    st.integers(1_000, 200_000),
    st.integers(0, 3_000),
)
def test_carried_remainders_add_up_to_one_big_sale(amounts, rate, tax_bp):
    """Many sales with the carry passed on buy the energy of one sale of the total, within 100 Wh.

    Holds while the ceiling of each sale's cost (under 1 millicent a sale) is worth less than 100 Wh, i.e.
    for rates of at least 1 ¢/kWh; with tax, each sale's tax rounding may take one more cent.
    """
    terms = flat(rate, tax_bp=tax_bp)
    carry, energy, tax = 0, 0, 0
    for amount in amounts:
        q = quote(QuoteRequest(amount=amount, terms=terms, carry_in_mc=carry))
        carry, energy, tax = q.carry_out_mc, energy + q.energy_wh, tax + q.tax
    one = quote(QuoteRequest(amount=sum(amounts), terms=terms))
    if tax_bp == 0:
        assert abs(one.energy_wh - energy) <= 100
    else:
        # Tax is rounded per sale (the rounding cent goes to tax): each sale can cost at most one cent more.
        assert -100 <= one.energy_wh - energy <= 100 + -(-len(amounts) * 1000 * 1000 // rate)
        assert abs(one.tax - tax) <= len(amounts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(500, 50_000), min_size=2, max_size=12), st.integers(0, 10))
def test_block_sales_across_the_month_add_up_to_one_big_sale(amounts, days):
    terms = blocks()
    carry, energy, month = 0, 0, 0
    for amount in amounts:
        q = quote(QuoteRequest(amount=amount, terms=terms, carry_in_mc=carry, month_wh_before=month))
        carry, energy, month = q.carry_out_mc, energy + q.energy_wh, month + q.energy_wh
    one = quote(QuoteRequest(amount=sum(amounts), terms=terms))
    assert abs(one.energy_wh - energy) <= 100
