"""Tariff maths (pure: no ORM): what an amount buys on a tariff version (docs/vending.md, "Tariffs").

Units: money in cents, rates in millicents per kWh, energy in Wh, percentages in basis points.

The order of a purchase of `amount` cents:
1. arrears share = min(floor(amount × recovery_bp / 10 000), arrears balance), taken first;
2. the rest R is tax-inclusive: net = floor(R × 10 000 / (10 000 + tax_bp)), tax = R − net
   (tax is charged on the fixed charges and the energy, the rounding cent goes to tax);
3. fixed charges = fixed per purchase + fixed per day × days since the last purchase, paid from net;
   energy money = net − fixed charges (an amount that cannot cover them is refused);
4. the energy budget is energy money × 1000 + carry in (millicents); energy is the largest multiple of the
   energy unit (100 Wh) whose cost fits, and carry out = budget − cost (kept on the account, never lost).

cost_mc(wh) = ceil(Σ_pieces wh_piece × rate_piece × (10 000 − discount_bp) / 10 000 000): one ceiling over
the whole purchase, the pieces being the inclining blocks the purchase crosses (from month_wh_before on),
or a single piece at the flat or time-of-use rate.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from juiced.core.errors import ValidationFailed

ENERGY_UNIT_WH = 100  # energy is rounded down to 0.1 kWh
BP = 10_000
MINUTES_PER_DAY = 24 * 60
KINDS = ("flat", "blocks", "tou")
MAX_RATE = 100_000_000  # 1000.00 per kWh in millicents: a sanity bound, not a business rule
MAX_CENTS = 10**12


@dataclass(frozen=True)
class Block:
    up_to_wh: int | None  # cumulative month energy where the block ends (None: open-ended)
    rate: int


@dataclass(frozen=True)
class Window:
    start_minute: int
    end_minute: int  # exclusive; may be below start (the window wraps midnight); 1440 is midnight
    rate: int

    def contains(self, minute: int) -> bool:
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute


@dataclass(frozen=True)
class Terms:
    kind: str
    flat_rate: int | None = None
    blocks: tuple[Block, ...] = ()
    tou: tuple[Window, ...] = ()
    fixed_per_purchase: int = 0
    fixed_per_day: int = 0
    tax_bp: int = 0
    minimum_purchase: int = 0

    @classmethod
    def from_version(cls, version: Any) -> Terms:
        """Terms of a TariffVersion (or anything with its fields)."""
        return cls.from_fields(
            kind=version.kind,
            flat_rate=version.flat_rate,
            blocks=version.blocks or [],
            tou=version.tou or [],
            fixed_per_purchase=version.fixed_per_purchase,
            fixed_per_day=version.fixed_per_day,
            tax_bp=version.tax_bp,
            minimum_purchase=version.minimum_purchase,
        )

    @classmethod
    def from_fields(
        cls,
        *,
        kind: str,
        flat_rate: int | None = None,
        blocks: list[dict] | None = None,
        tou: list[dict] | None = None,
        fixed_per_purchase: int = 0,
        fixed_per_day: int = 0,
        tax_bp: int = 0,
        minimum_purchase: int = 0,
    ) -> Terms:
        return cls(
            kind=kind,
            flat_rate=flat_rate,
            blocks=tuple(
                Block(
                    up_to_wh=None if b.get("up_to_kwh") is None else _kwh_to_wh(b["up_to_kwh"]),
                    rate=int(b["rate"]),
                )
                for b in blocks or []
            ),
            tou=tuple(
                Window(_minute(w["start"]), _minute(w["end"], end=True), int(w["rate"])) for w in tou or []
            ),
            fixed_per_purchase=int(fixed_per_purchase or 0),
            fixed_per_day=int(fixed_per_day or 0),
            tax_bp=int(tax_bp or 0),
            minimum_purchase=int(minimum_purchase or 0),
        )

    def pieces(self, *, month_wh_before: int, local_time: datetime.time) -> list[tuple[int, int | None, int]]:
        """The price pieces from the purchase's start: [(block index, capacity in Wh or None, rate)]."""
        if self.kind == "flat":
            return [(0, None, int(self.flat_rate or 0))]
        if self.kind == "tou":
            minute = local_time.hour * 60 + local_time.minute
            for index, window in enumerate(self.tou):
                if window.contains(minute):
                    return [(index, None, window.rate)]
            raise ValidationFailed.on("tariff", "The time-of-use windows do not cover this time of day.")
        result: list[tuple[int, int | None, int]] = []
        floor = 0
        for index, block in enumerate(self.blocks):
            if block.up_to_wh is None:
                result.append((index, None, block.rate))
                break
            if month_wh_before < block.up_to_wh:
                result.append((index, block.up_to_wh - max(floor, month_wh_before), block.rate))
            floor = block.up_to_wh
        if not result or result[-1][1] is not None:
            raise ValidationFailed.on("tariff", "The last block of the tariff must be open-ended.")
        return result


@dataclass(frozen=True)
class QuoteRequest:
    amount: int
    terms: Terms
    month_wh_before: int = 0
    days_since_last: int = 0
    local_time: datetime.time = datetime.time(12)
    arrears_balance: int = 0
    arrears_recovery_bp: int = 0
    carry_in_mc: int = 0
    discount_bp: int = 0
    minimum_purchase: int | None = None
    maximum_purchase: int | None = None
    energy_unit_wh: int = ENERGY_UNIT_WH  # a multiple of 100 Wh (the meter's token step can make it larger)


@dataclass(frozen=True)
class Quote:
    amount: int
    arrears_share: int
    fixed_charges: int
    tax: int
    discount: int
    energy_money: int
    energy_wh: int
    carry_in_mc: int
    carry_out_mc: int
    lines: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _cost_numerator(wh: int, pieces: list[tuple[int, int | None, int]], discount_bp: int) -> tuple[int, list]:
    """Σ wh_piece × rate × (10 000 − discount) (millicents × 10 000 000) and the pieces used."""
    remaining = wh
    total = 0
    split = []
    for index, capacity, rate in pieces:
        if remaining <= 0:
            break
        take = remaining if capacity is None else min(capacity, remaining)
        total += take * rate * (BP - discount_bp)
        split.append((index, take, rate))
        remaining -= take
    return total, split


def cost_mc(wh: int, pieces: list[tuple[int, int | None, int]], discount_bp: int = 0) -> int:
    """What `wh` Wh cost in millicents from the purchase's start (one ceiling over the whole purchase)."""
    numerator, _split = _cost_numerator(wh, pieces, discount_bp)
    return -(-numerator // (1000 * BP))


def _energy_for_budget(budget_mc: int, pieces: list, discount_bp: int, unit: int) -> int:
    """The largest multiple of `unit` Wh costing at most `budget_mc` (binary search; cost is monotone)."""
    cheapest = min(rate for _i, _c, rate in pieces) * (BP - discount_bp)
    if cheapest <= 0:
        raise ValidationFailed.on("tariff", "A tariff rate must be above zero.")
    high = budget_mc * 1000 * BP // cheapest // unit + 1  # cost(high × unit) > budget
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        if cost_mc(middle * unit, pieces, discount_bp) <= budget_mc:
            low = middle
        else:
            high = middle
    return low * unit


def _percent(bp: int) -> str:
    return f"{Decimal(bp) / 100:f}".rstrip("0").rstrip(".") + " %"


def _rate_label(rate: int) -> str:
    return f"{Decimal(rate) / 1000:.3f} ¢/kWh"


def quote(req: QuoteRequest) -> Quote:
    """What `req.amount` buys (see the module docstring); ValidationFailed on "amount" when it cannot."""
    terms, amount = req.terms, req.amount
    if amount <= 0:
        raise ValidationFailed.on("amount", "Enter an amount above zero.")
    if amount > MAX_CENTS:
        raise ValidationFailed.on("amount", "That amount is too large.")
    if not 0 <= req.discount_bp < BP:
        raise ValidationFailed.on("discount_bp", "A discount must be at least 0 % and below 100 %.")
    if req.energy_unit_wh <= 0 or req.energy_unit_wh % ENERGY_UNIT_WH:
        raise ValidationFailed.on("energy_unit_wh", "The energy unit must be a positive multiple of 100 Wh.")
    minimum = terms.minimum_purchase if req.minimum_purchase is None else req.minimum_purchase
    if amount < minimum:
        raise ValidationFailed.on("amount", f"The minimum purchase is {_cents(minimum)}.")
    if req.maximum_purchase is not None and amount > req.maximum_purchase:
        raise ValidationFailed.on("amount", f"The maximum purchase is {_cents(req.maximum_purchase)}.")

    arrears_share = min(amount * req.arrears_recovery_bp // BP, max(req.arrears_balance, 0))
    rest = amount - arrears_share
    net = rest * BP // (BP + terms.tax_bp)
    tax = rest - net
    days = max(req.days_since_last, 0)
    fixed_charges = terms.fixed_per_purchase + terms.fixed_per_day * days
    energy_money = net - fixed_charges
    if energy_money < 0:
        raise ValidationFailed.on(
            "amount",
            f"The amount does not cover the fixed charges of {_cents(fixed_charges)} (plus tax"
            + (f" and {_cents(arrears_share)} to arrears" if arrears_share else "")
            + ").",
        )

    pieces = terms.pieces(month_wh_before=max(req.month_wh_before, 0), local_time=req.local_time)
    budget = energy_money * 1000 + req.carry_in_mc
    energy_wh = _energy_for_budget(budget, pieces, req.discount_bp, req.energy_unit_wh)
    cost = cost_mc(energy_wh, pieces, req.discount_bp)
    carry_out = budget - cost
    discount = (cost_mc(energy_wh, pieces, 0) - cost) // 1000 if req.discount_bp else 0

    lines: list[dict] = [{"label": "Amount", "amount": amount}]
    if arrears_share:
        lines.append(
            {"label": f"Arrears recovered ({_percent(req.arrears_recovery_bp)})", "amount": arrears_share}
        )
    if terms.fixed_per_purchase:
        lines.append({"label": "Fixed charge per purchase", "amount": terms.fixed_per_purchase})
    if terms.fixed_per_day and days:
        lines.append(
            {
                "label": f"Service charge ({days} day{'s' if days != 1 else ''})",
                "amount": terms.fixed_per_day * days,
            }
        )
    if terms.tax_bp:
        lines.append({"label": f"Tax ({_percent(terms.tax_bp)})", "amount": tax})
    lines.append({"label": "Energy", "amount": energy_money})
    if discount:
        lines.append({"label": f"Discount ({_percent(req.discount_bp)} off energy)", "amount": discount})
    _numerator, split = _cost_numerator(energy_wh, pieces, req.discount_bp)
    for index, wh, rate in split:
        label = {
            "flat": "Flat rate",
            "tou": f"Time of use window {index + 1}",
            "blocks": f"Block {index + 1}",
        }
        lines.append({"label": label.get(terms.kind, "Energy"), "wh": wh, "rate": rate})
    lines.append({"label": "Energy bought", "wh": energy_wh})
    if req.carry_in_mc:
        lines.append({"label": "Carried from the last purchase (millicents)", "amount_mc": req.carry_in_mc})
    lines.append({"label": "Carried to the next purchase (millicents)", "amount_mc": carry_out})
    return Quote(
        amount=amount,
        arrears_share=arrears_share,
        fixed_charges=fixed_charges,
        tax=tax,
        discount=discount,
        energy_money=energy_money,
        energy_wh=energy_wh,
        carry_in_mc=req.carry_in_mc,
        carry_out_mc=carry_out,
        lines=lines,
    )


def _cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# --- validation of a version's terms (used by the tariff services) ---------------------------------------

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _minute(text: str, *, end: bool = False) -> int:
    match = _TIME.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a time like 06:30.")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes) or (hours == 24 and not end):
        raise ValueError(f"{text!r} is not a time of day.")
    value = hours * 60 + minutes
    return MINUTES_PER_DAY if end and value == 0 else value


def _kwh_to_wh(value: Any) -> int:
    wh = Decimal(str(value)) * 1000
    if wh != wh.to_integral_value():
        raise ValueError("Use at most three decimals of a kWh.")
    return int(wh)


def _integer(value: Any, field_name: str, errors: dict, *, minimum: int = 0, maximum: int = MAX_CENTS) -> int:
    if value is None or value == "":
        return 0
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.setdefault(field_name, []).append("Enter a whole number.")
        return 0
    if number != number.to_integral_value():
        errors.setdefault(field_name, []).append("Enter a whole number.")
        return 0
    number_int = int(number)
    if not minimum <= number_int <= maximum:
        errors.setdefault(field_name, []).append(f"Enter a number from {minimum} to {maximum}.")
    return number_int


def _validate_blocks(raw: Any, errors: dict) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        errors["blocks"] = ["Add at least one block; the last one is open-ended (no upper limit)."]
        return []
    cleaned: list[dict] = []
    previous = 0
    for number, block in enumerate(raw, start=1):
        if not isinstance(block, dict):
            errors.setdefault("blocks", []).append(f"Block {number}: expected up_to_kwh and rate.")
            continue
        rate = _integer(block.get("rate"), "blocks", errors, minimum=1, maximum=MAX_RATE)
        up_to = block.get("up_to_kwh")
        last = number == len(raw)
        if up_to in (None, ""):
            if not last:
                errors.setdefault("blocks", []).append(f"Block {number}: only the last block is open-ended.")
            cleaned.append({"up_to_kwh": None, "rate": rate})
            continue
        if last:
            errors.setdefault("blocks", []).append("The last block must be open-ended (no upper limit).")
        try:
            wh = _kwh_to_wh(up_to)
        except (ValueError, InvalidOperation):
            errors.setdefault("blocks", []).append(f"Block {number}: up_to_kwh must be a number of kWh.")
            continue
        if wh <= previous:
            errors.setdefault("blocks", []).append(f"Block {number}: limits must increase and be above zero.")
        previous = wh
        number_kwh = Decimal(wh) / 1000
        cleaned.append(
            {
                "up_to_kwh": int(number_kwh) if number_kwh == int(number_kwh) else float(number_kwh),
                "rate": rate,
            }
        )
    return cleaned


def _validate_tou(raw: Any, errors: dict) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        errors["tou"] = ["Add time-of-use windows that cover the whole day."]
        return []
    covered = [0] * MINUTES_PER_DAY
    cleaned: list[dict] = []
    for number, window in enumerate(raw, start=1):
        if not isinstance(window, dict):
            errors.setdefault("tou", []).append(f"Window {number}: expected start, end and rate.")
            continue
        rate = _integer(window.get("rate"), "tou", errors, minimum=1, maximum=MAX_RATE)
        try:
            start = _minute(window.get("start", ""))
            end = _minute(window.get("end", ""), end=True)
        except ValueError as exc:
            errors.setdefault("tou", []).append(f"Window {number}: {exc}")
            continue
        if start == end % MINUTES_PER_DAY and not (start == 0 and end == MINUTES_PER_DAY):
            errors.setdefault("tou", []).append(f"Window {number}: start and end must differ.")
            continue
        minutes = range(start, end) if start < end else [*range(start, MINUTES_PER_DAY), *range(0, end)]
        for minute in minutes:
            covered[minute] += 1
        cleaned.append(
            {
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{end // 60:02d}:{end % 60:02d}",
                "rate": rate,
            }
        )
    if "tou" not in errors:
        if any(count > 1 for count in covered):
            first = next(m for m, c in enumerate(covered) if c > 1)
            errors["tou"] = [f"Time-of-use windows overlap (at {first // 60:02d}:{first % 60:02d})."]
        elif any(count == 0 for count in covered):
            first = next(m for m, c in enumerate(covered) if c == 0)
            errors["tou"] = [
                f"Time-of-use windows must cover 24 hours (nothing at {first // 60:02d}:{first % 60:02d})."
            ]
    return cleaned


def tariff_terms_validate(kind: str, data: dict) -> dict:
    """The cleaned TariffVersion fields for `kind` from `data`, or ValidationFailed with field errors."""
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        raise ValidationFailed.on("kind", "Choose flat, blocks or tou.")
    cleaned: dict[str, Any] = {"kind": kind, "flat_rate": None, "blocks": [], "tou": []}
    if kind == "flat":
        if data.get("flat_rate") in (None, ""):
            errors["flat_rate"] = ["Enter the rate in millicents per kWh."]
        else:
            cleaned["flat_rate"] = _integer(
                data.get("flat_rate"), "flat_rate", errors, minimum=1, maximum=MAX_RATE
            )
    elif kind == "blocks":
        cleaned["blocks"] = _validate_blocks(data.get("blocks"), errors)
    else:
        cleaned["tou"] = _validate_tou(data.get("tou"), errors)
    cleaned["fixed_per_purchase"] = _integer(data.get("fixed_per_purchase"), "fixed_per_purchase", errors)
    cleaned["fixed_per_day"] = _integer(data.get("fixed_per_day"), "fixed_per_day", errors)
    cleaned["tax_bp"] = _integer(data.get("tax_bp"), "tax_bp", errors, maximum=BP)
    cleaned["minimum_purchase"] = _integer(data.get("minimum_purchase"), "minimum_purchase", errors)
    if errors:
        raise ValidationFailed("Some tariff terms are invalid.", fields=errors)
    return cleaned


__all__ = [
    "Block",
    "Quote",
    "QuoteRequest",
    "Terms",
    "Window",
    "cost_mc",
    "quote",
    "tariff_terms_validate",
]
