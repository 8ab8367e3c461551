"""What comes after the award (SPEC §9): settlement, prepayment offsets, surplus retention, credit
bars and delivery deadlines.

Pure functions of plain values: every date ("today", the day a round opens) is an argument, money
is `Decimal` rounded half-up to 0.01 yuan with `round_money`, volumes are integers.
"""

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from solver.money import round_money
from solver.rules import CreditLevel, RuleSet

SurplusGrade = Literal["A", "B", "C", "D"]

_ZERO = Decimal(0)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month
    (2027-05-31 + 9 months = 2028-02-29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


# -- settlement (回款) ---------------------------------------------------------------------------


def settlement_due_date(accepted_on: date) -> date:
    """SPEC §9: an invoice for a delivery accepted on `accepted_on` is due on the last day of the
    following month (交货验收合格后次月底前): 2027-01-31 → 2027-02-28, 2027-12-15 → 2028-01-31."""
    first_of_next = add_months(accepted_on.replace(day=1), 1)
    return first_of_next.replace(day=monthrange(first_of_next.year, first_of_next.month)[1])


def days_overdue(due: date, paid_on: date | None, today: date) -> int:
    """Days an invoice is (or was) past its due date, as of `today`.

    Paid on or before the due date → 0.  Unpaid → max(0, today − due).  Paid late → the days
    between the due date and the payment; a payment dated after `today` has not happened yet as of
    `today`, so the count runs to `today` instead.
    """
    end = today if paid_on is None else min(paid_on, today)
    return max(0, (end - due).days)


# -- prepayment (医保基金预付) ---------------------------------------------------------------------


def prepayment_amount(prepay_ratio: Decimal, annual_contract_amount: Decimal) -> Decimal:
    """SPEC §8/§9: the fund's advance, round-half-up(prepay_ratio × annual contract amount)."""
    if prepay_ratio < _ZERO or annual_contract_amount < _ZERO:
        raise ValueError("prepay_ratio and annual_contract_amount must not be negative")
    return round_money(prepay_ratio * annual_contract_amount)


@dataclass(frozen=True)
class OffsetRow:
    """One month of the prepayment ledger: opening − offset = closing (outstanding)."""

    month: int  # 1..n within the agreement year
    opening: Decimal
    accepted: Decimal  # purchases accepted in the month, yuan
    offset: Decimal
    closing: Decimal


def prepayment_offsets(
    prepayment: Decimal,
    annual_contract_amount: Decimal,
    accepted_by_month: Sequence[Decimal],
) -> list[OffsetRow]:
    """SPEC §9: offset the prepayment from the institution's claims as it buys.

    Month m offsets min(remaining, round_money(prepayment × accepted_m / annual amount)); the
    share is always of the original prepayment, not of what remains.  Whatever remains after the
    last month is offset in the last month, so the last closing balance is 0.  With an annual
    amount of 0 there is no proportional offset and everything is offset in the last month.
    """
    if not accepted_by_month:
        raise ValueError("accepted_by_month must hold at least one month")
    if prepayment < _ZERO or annual_contract_amount < _ZERO:
        raise ValueError("prepayment and annual_contract_amount must not be negative")
    for m, accepted in enumerate(accepted_by_month, start=1):
        if accepted < _ZERO:
            raise ValueError(f"accepted_by_month[{m - 1}] must not be negative, got {accepted}")

    remaining = round_money(prepayment)
    last = len(accepted_by_month)
    rows: list[OffsetRow] = []
    for m, accepted in enumerate(accepted_by_month, start=1):
        if m == last:
            offset = remaining  # year end: the rest is offset in the last month
        elif annual_contract_amount == _ZERO:
            offset = _ZERO
        else:
            due = round_money(prepayment * accepted / annual_contract_amount)
            offset = min(remaining, due)
        offset = round_money(offset)
        closing = remaining - offset
        rows.append(
            OffsetRow(month=m, opening=remaining, accepted=accepted, offset=offset, closing=closing)
        )
        remaining = closing
    return rows


# -- surplus retention (结余留用) -----------------------------------------------------------------


@dataclass(frozen=True)
class SurplusResult:
    """One institution's surplus retention for one group and agreement year."""

    budget: Decimal  # agreed × pre-VBP price × payment ratio × insured share
    actual: Decimal  # min(purchased, agreed) × winning price × the same ratios
    surplus: Decimal  # max(0, budget − actual)
    completed: bool  # purchased ≥ agreed
    grade: SurplusGrade  # the grade applied: D when the agreed volume was not completed
    grade_ratio: Decimal
    retention: Decimal  # surplus × grade ratio


def surplus_retention(
    *,
    agreed_volume: int,
    purchased_volume: int,
    pre_vbp_unit_price: Decimal,
    winning_price: Decimal,
    insurer_payment_ratio: Decimal,
    insured_share: Decimal,
    grade: str,
    rules: RuleSet,
) -> SurplusResult:
    """SPEC §9: the surplus an institution may keep at the end of an agreement year.

    Every figure is computed exactly from the inputs and rounded half-up to 0.01 once, at the
    end; so `retention` is round(exact surplus × ratio), not round(rounded surplus × ratio).
    """
    if agreed_volume < 0 or purchased_volume < 0:
        raise ValueError("agreed_volume and purchased_volume must not be negative")
    for name, value in (
        ("pre_vbp_unit_price", pre_vbp_unit_price),
        ("winning_price", winning_price),
        ("insurer_payment_ratio", insurer_payment_ratio),
        ("insured_share", insured_share),
    ):
        if value < _ZERO:
            raise ValueError(f"{name} must not be negative, got {value}")
    if grade not in rules.surplus_grade_ratios:
        known = ", ".join(sorted(rules.surplus_grade_ratios))
        raise ValueError(f"unknown surplus grade {grade!r}; known: {known}")

    completed = purchased_volume >= agreed_volume
    # An institution that did not complete its agreed volume keeps nothing (grade D).
    effective: SurplusGrade = grade if completed else "D"
    ratio = rules.surplus_grade_ratios.get(effective, _ZERO)

    shares = insurer_payment_ratio * insured_share
    budget = agreed_volume * pre_vbp_unit_price * shares
    actual = min(purchased_volume, agreed_volume) * winning_price * shares
    surplus = max(_ZERO, budget - actual)
    return SurplusResult(
        budget=round_money(budget),
        actual=round_money(actual),
        surplus=round_money(surplus),
        completed=completed,
        grade=effective,
        grade_ratio=ratio,
        retention=round_money(surplus * ratio),
    )


# -- credit evaluation (医药价格和招采信用评价) ------------------------------------------------


def bar_until(level: CreditLevel, rated_on: date, rules: RuleSet) -> date | None:
    """The first day an enterprise rated `level` on `rated_on` may bid again: rated_on +
    `rules.bar_months[level]` months (end-of-month clamped).  None when the level does not bar
    (general, moderate — any level outside `rules.barred_credit_levels`)."""
    if level not in rules.barred_credit_levels:
        return None
    months = rules.bar_months.get(level)
    if months is None:
        raise ValueError(f"the rule set bars {level!r} ratings but gives no bar_months for it")
    return add_months(rated_on, months)


def is_barred(
    ratings: Sequence[tuple[CreditLevel, date]], round_opens_on: date, rules: RuleSet
) -> bool:
    """SPEC §9: barred iff some rating's bar covers the day the round opens for bidding,
    rated_on ≤ round_opens_on < bar_until.  Ratings are (level, rated_on) pairs."""
    for level, rated_on in ratings:
        until = bar_until(level, rated_on, rules)
        if until is not None and rated_on <= round_opens_on < until:
            return True
    return False


# -- delivery (配送) ------------------------------------------------------------------------------


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def delivery_deadline(ordered_on: date, delivery_days: int) -> date:
    """SPEC §9: the last day a delivery is on time: the `delivery_days`-th business day after
    the order day (ordered Friday, 3 days → Wednesday).

    Business days are Monday to Friday.  Public holidays (and the make-up working weekends of the
    Chinese calendar) are not modelled: a deployment that needs them supplies its own calendar.
    """
    if delivery_days < 1:
        raise ValueError(f"delivery_days must be at least 1, got {delivery_days}")
    # Any 7 consecutive days hold exactly 5 business days: skip whole weeks, then step 1..5 days.
    weeks, rest = divmod(delivery_days - 1, 5)
    day = ordered_on + timedelta(weeks=weeks)
    for _ in range(rest + 1):
        day = _next_business_day(day)
    return day


def is_supply_failure(
    ordered_on: date, delivered_on: date | None, today: date, delivery_days: int
) -> bool:
    """A delivery later than `delivery_deadline` (delivered on the deadline is on time); an
    undelivered order is a failure once `today` is past the deadline."""
    deadline = delivery_deadline(ordered_on, delivery_days)
    return (delivered_on if delivered_on is not None else today) > deadline
