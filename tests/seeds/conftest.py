"""The seed tests reuse the fixtures of the areas they check (importing a fixture here registers it for
tests/seeds/ only)."""

from tests.leads.conftest import fund, make_bid, make_category, make_lead_type, make_source
from tests.payments.conftest import localstripe_url, stripe_acme, visa
from tests.returns.conftest import sold_lead
from tests.web.conftest import funded

__all__ = [
    "fund",
    "funded",
    "localstripe_url",
    "make_bid",
    "make_category",
    "make_lead_type",
    "make_source",
    "sold_lead",
    "stripe_acme",
    "visa",
]
