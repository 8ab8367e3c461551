"""SPEC §9: settlement, prepayment offsets, surplus retention, credit bars, delivery."""

import calendar
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.agreement import (
    OffsetRow,
    bar_until,
    days_overdue,
    delivery_deadline,
    is_barred,
    is_supply_failure,
    prepayment_amount,
    prepayment_offsets,
    settlement_due_date,
    surplus_retention,
)
from solver.rules import RuleSet, build_rules

D = Decimal
RULES = RuleSet()

# -- settlement_due_date ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        # the three examples of SPEC §9
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 12, 15), date(2028, 1, 31)),
        (date(2028, 1, 10), date(2028, 2, 29)),
        # first and last day of a month land on the same due date
        (date(2027, 3, 1), date(2027, 4, 30)),
        (date(2027, 3, 31), date(2027, 4, 30)),
        # February of a century: 2100 is not a leap year, 2000 is
        (date(2100, 1, 31), date(2100, 2, 28)),
        (date(2000, 1, 1), date(2000, 2, 29)),
        # a leap day itself
        (date(2028, 2, 29), date(2028, 3, 31)),
        (date(2099, 12, 31), date(2100, 1, 31)),
    ],
)
def test_settlement_due_date_examples(accepted: date, due: date) -> None:
    assert settlement_due_date(accepted) == due


@pytest.mark.parametrize("year", [1999, 2000, 2026, 2027, 2028, 2029, 2099, 2100, 2104])
def test_settlement_due_date_for_every_day_of_the_year(year: int) -> None:
    day = date(year, 1, 1)
    while day.year == year:
        next_year, next_month = (year + 1, 1) if day.month == 12 else (year, day.month + 1)
        last = calendar.monthrange(next_year, next_month)[1]
        assert settlement_due_date(day) == date(next_year, next_month, last), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("year", "february_end"), [(2027, 28), (2028, 29), (2100, 28), (2000, 29), (1900, 28)]
)
def test_january_acceptance_is_due_at_end_of_february(year: int, february_end: int) -> None:
    assert settlement_due_date(date(year, 1, 15)) == date(year, 2, february_end)


# -- days_overdue -------------------------------------------------------------------------------

DUE = date(2027, 2, 28)


@pytest.mark.parametrize(
    ("paid_on", "today", "days"),
    [
        (date(2027, 2, 10), date(2027, 5, 1), 0),  # paid early
        (DUE, date(2027, 5, 1), 0),  # paid on the due date
        (date(2027, 3, 1), date(2027, 5, 1), 1),  # paid a day late
        (date(2027, 3, 31), date(2027, 5, 1), 31),  # paid a month late
        (None, date(2027, 2, 1), 0),  # unpaid, not yet due
        (None, DUE, 0),  # unpaid, due today
        (None, date(2027, 3, 1), 1),
        (None, date(2028, 2, 28), 365),
        (date(2027, 4, 30), date(2027, 3, 10), 10),  # payment dated after today: runs to today
    ],
)
def test_days_overdue(paid_on: date | None, today: date, days: int) -> None:
    assert days_overdue(DUE, paid_on, today) == days


# -- prepayment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "annual", "prepayment"),
    [
        (D("0.30"), D("12354.00"), D("3706.20")),  # ROUND_DOCUMENT.md example
        (D("0.30"), D("0.05"), D("0.02")),  # 0.015 rounds half up
        (D("0.30"), D("0.00"), D("0.00")),
        (D("0.35"), D("100.10"), D("35.04")),  # 35.035 → 35.04
        (D("1"), D("99.99"), D("99.99")),
    ],
)
def test_prepayment_amount(ratio: Decimal, annual: Decimal, prepayment: Decimal) -> None:
    assert prepayment_amount(ratio, annual) == prepayment


def test_prepayment_offsets_hand_checked() -> None:
    # prepayment 3000.00 on an annual amount of 10000.00; shares 0.3 of each month's purchases
    rows = prepayment_offsets(D("3000.00"), D("10000.00"), [D("1000.00"), D("2500.50"), D("0")])
    assert rows == [
        OffsetRow(1, D("3000.00"), D("1000.00"), D("300.00"), D("2700.00")),
        OffsetRow(2, D("2700.00"), D("2500.50"), D("750.15"), D("1949.85")),
        OffsetRow(3, D("1949.85"), D("0"), D("1949.85"), D("0.00")),
    ]


def test_prepayment_offset_rounds_each_month_half_up() -> None:
    # 100 × 0.05 / 1000 = 0.005 → 0.01
    rows = prepayment_offsets(D("100.00"), D("1000.00"), [D("0.05"), D("0")])
    assert [r.offset for r in rows] == [D("0.01"), D("99.99")]


def test_prepayment_offset_never_exceeds_what_remains() -> None:
    # buying beyond the annual amount: month 2's share (600) is capped by the remaining 200
    rows = prepayment_offsets(D("1000.00"), D("1000.00"), [D("800"), D("600"), D("50")])
    assert [r.offset for r in rows] == [D("800.00"), D("200.00"), D("0.00")]
    assert [r.closing for r in rows] == [D("200.00"), D("0.00"), D("0.00")]


def test_prepayment_with_no_purchases_is_offset_in_the_last_month() -> None:
    rows = prepayment_offsets(D("360.00"), D("1200.00"), [D("0")] * 12)
    assert [r.offset for r in rows] == [D("0.00")] * 11 + [D("360.00")]
    assert [r.month for r in rows] == list(range(1, 13))


def test_prepayment_with_annual_amount_zero() -> None:
    rows = prepayment_offsets(D("0.00"), D("0"), [D("10"), D("20")])
    assert [(r.opening, r.offset, r.closing) for r in rows] == [
        (D("0.00"), D("0.00"), D("0.00")),
        (D("0.00"), D("0.00"), D("0.00")),
    ]
    # a prepayment recorded against a zero amount is still offset, at year end
    rows = prepayment_offsets(D("50.00"), D("0"), [D("10"), D("20")])
    assert [r.offset for r in rows] == [D("0.00"), D("50.00")]


def test_prepayment_single_month() -> None:
    [row] = prepayment_offsets(D("30.00"), D("100.00"), [D("10")])
    assert row == OffsetRow(1, D("30.00"), D("10"), D("30.00"), D("0.00"))


@pytest.mark.parametrize(
    ("prepayment", "annual", "months"),
    [
        (D("-1"), D("100"), [D("1")]),
        (D("1"), D("-100"), [D("1")]),
        (D("1"), D("100"), [D("1"), D("-1")]),
        (D("1"), D("100"), []),
    ],
)
def test_prepayment_offsets_refuse_bad_input(
    prepayment: Decimal, annual: Decimal, months: list[Decimal]
) -> None:
    with pytest.raises(ValueError):
        prepayment_offsets(prepayment, annual, months)


money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@given(
    annual=money,
    ratio=st.decimals(min_value=D("0.30"), max_value=1, places=2),
    months=st.lists(money, min_size=1, max_size=14),
)
def test_prepayment_ledger_identity(annual: Decimal, ratio: Decimal, months: list[Decimal]) -> None:
    prepayment = prepayment_amount(ratio, annual)
    rows = prepayment_offsets(prepayment, annual, months)
    assert rows[0].opening == prepayment
    for before, after in itertools.pairwise(rows):
        assert after.opening == before.closing
    for row in rows:
        assert row.opening - row.offset == row.closing
        assert D(0) <= row.offset <= row.opening
        assert row.offset == row.offset.quantize(D("0.01"))
    assert rows[-1].closing == 0
    assert sum(r.offset for r in rows) == prepayment


# -- surplus retention --------------------------------------------------------------------------

SURPLUS = {
    "agreed_volume": 10_000,
    "pre_vbp_unit_price": D("0.90"),
    "winning_price": D("0.2059"),
    "insurer_payment_ratio": D("0.70"),
    "insured_share": D("0.90"),
    "rules": RULES,
}


@pytest.mark.parametrize(
    ("purchased", "grade", "effective", "actual", "surplus", "retention"),
    [
        # budget = 10000 × 0.90 × 0.70 × 0.90 = 5670.00
        # actual = 10000 × 0.2059 × 0.63 = 1297.17; surplus 4372.83
        (10_000, "A", "A", D("1297.17"), D("4372.83"), D("2186.42")),  # 2186.415 → up
        (10_000, "B", "B", D("1297.17"), D("4372.83"), D("1749.13")),  # 1749.132
        (10_000, "C", "C", D("1297.17"), D("4372.83"), D("1311.85")),  # 1311.849
        (10_000, "D", "D", D("1297.17"), D("4372.83"), D("0.00")),
        # buying beyond the agreed volume counts only up to the agreed volume
        (15_000, "A", "A", D("1297.17"), D("4372.83"), D("2186.42")),
        # not completed: grade D regardless of the grade given
        (9_999, "A", "D", D("1297.04"), D("4372.96"), D("0.00")),  # 9999 × 0.129717
        (0, "A", "D", D("0.00"), D("5670.00"), D("0.00")),
    ],
)
def test_surplus_retention(
    purchased: int,
    grade: str,
    effective: str,
    actual: Decimal,
    surplus: Decimal,
    retention: Decimal,
) -> None:
    result = surplus_retention(purchased_volume=purchased, grade=grade, **SURPLUS)  # type: ignore[arg-type]
    assert result.budget == D("5670.00")
    assert result.actual == actual
    assert result.surplus == surplus
    assert result.grade == effective
    assert result.completed is (purchased >= 10_000)
    assert result.retention == retention


def test_surplus_is_never_negative() -> None:
    # a winning price above the pre-VBP price: actual exceeds the budget
    result = surplus_retention(
        agreed_volume=100,
        purchased_volume=100,
        pre_vbp_unit_price=D("1.00"),
        winning_price=D("1.50"),
        insurer_payment_ratio=D("1"),
        insured_share=D("1"),
        grade="A",
        rules=RULES,
    )
    assert (result.budget, result.actual, result.surplus, result.retention) == (
        D("100.00"),
        D("150.00"),
        D("0.00"),
        D("0.00"),
    )


def test_surplus_rounds_once_at_the_end() -> None:
    # exact surplus 0.985 is reported as 0.99, but the retention is 0.985 × 0.50 = 0.4925 → 0.49
    # (rounding the surplus first would give 0.99 × 0.50 = 0.495 → 0.50)
    result = surplus_retention(
        agreed_volume=1,
        purchased_volume=1,
        pre_vbp_unit_price=D("0.985"),
        winning_price=D("0"),
        insurer_payment_ratio=D("1"),
        insured_share=D("1"),
        grade="A",
        rules=RULES,
    )
    assert (result.budget, result.surplus, result.retention) == (D("0.99"), D("0.99"), D("0.49"))


def test_surplus_zero_agreed_volume_is_complete() -> None:
    result = surplus_retention(
        agreed_volume=0,
        purchased_volume=0,
        pre_vbp_unit_price=D("1"),
        winning_price=D("0.5"),
        insurer_payment_ratio=D("1"),
        insured_share=D("1"),
        grade="B",
        rules=RULES,
    )
    assert result.completed and result.grade == "B" and result.retention == D("0.00")


def test_surplus_grade_ratios_come_from_the_rule_set() -> None:
    rules = build_rules(
        "batch7", {"surplus_grade_ratios": {"A": "0.60", "B": "0.40", "C": "0.30", "D": "0"}}
    )
    result = surplus_retention(
        agreed_volume=100,
        purchased_volume=100,
        pre_vbp_unit_price=D("2"),
        winning_price=D("1"),
        insurer_payment_ratio=D("1"),
        insured_share=D("1"),
        grade="A",
        rules=rules,
    )
    assert result.grade_ratio == D("0.60") and result.retention == D("60.00")


@pytest.mark.parametrize(
    "change",
    [{"grade": "E"}, {"agreed_volume": -1}, {"purchased_volume": -1}, {"winning_price": D("-1")}],
)
def test_surplus_refuses_bad_input(change: dict[str, object]) -> None:
    args: dict[str, object] = {**SURPLUS, "purchased_volume": 1, "grade": "A", **change}
    with pytest.raises(ValueError):
        surplus_retention(**args)  # type: ignore[arg-type]


# -- credit bar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "rated_on", "until"),
    [
        ("serious", date(2027, 1, 15), date(2027, 10, 15)),  # 9 months
        ("particularly_serious", date(2027, 1, 15), date(2029, 1, 15)),  # 24 months
        ("serious", date(2027, 5, 31), date(2028, 2, 29)),  # clamped to a leap February
        ("serious", date(2026, 5, 31), date(2027, 2, 28)),
        ("serious", date(2027, 4, 30), date(2028, 1, 30)),
        ("particularly_serious", date(2028, 2, 29), date(2030, 2, 28)),
        ("serious", date(2027, 12, 31), date(2028, 9, 30)),
        ("general", date(2027, 1, 15), None),
        ("moderate", date(2027, 1, 15), None),
    ],
)
def test_bar_until(level: str, rated_on: date, until: date | None) -> None:
    assert bar_until(level, rated_on, RULES) == until  # type: ignore[arg-type]


def test_bar_months_come_from_the_rule_set() -> None:
    rules = build_rules("batch7", {"bar_months": {"serious": 6, "particularly_serious": 36}})
    assert bar_until("serious", date(2027, 8, 31), rules) == date(2028, 2, 29)
    assert bar_until("particularly_serious", date(2027, 1, 1), rules) == date(2030, 1, 1)


RATED = date(2027, 1, 15)


@pytest.mark.parametrize(
    ("ratings", "opens", "barred"),
    [
        ([], date(2027, 6, 1), False),
        ([("serious", RATED)], date(2027, 1, 14), False),  # rated after the round opened
        ([("serious", RATED)], RATED, True),  # bar starts on the rating day
        ([("serious", RATED)], date(2027, 10, 14), True),  # last barred day
        ([("serious", RATED)], date(2027, 10, 15), False),  # bar has run out
        ([("particularly_serious", RATED)], date(2028, 12, 31), True),
        ([("particularly_serious", RATED)], date(2029, 1, 15), False),
        ([("general", RATED), ("moderate", RATED)], date(2027, 2, 1), False),
        # an old lapsed bar and a fresh one: the fresh one counts
        ([("serious", date(2020, 1, 1)), ("serious", date(2027, 3, 1))], date(2027, 6, 1), True),
        ([("serious", date(2020, 1, 1)), ("moderate", date(2027, 3, 1))], date(2027, 6, 1), False),
    ],
)
def test_is_barred(ratings: list[tuple[str, date]], opens: date, barred: bool) -> None:
    assert is_barred(ratings, opens, RULES) is barred  # type: ignore[arg-type]


# -- delivery -----------------------------------------------------------------------------------

# 2027-03-01 is a Monday
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2027, 3, d) for d in range(1, 8))


@pytest.mark.parametrize(
    ("ordered", "days", "deadline"),
    [
        (MON, 3, THU),
        (TUE, 3, FRI),
        (WED, 3, date(2027, 3, 8)),  # Thu, Fri, Mon
        (FRI, 3, date(2027, 3, 10)),  # Mon, Tue, Wed
        (SAT, 3, date(2027, 3, 10)),
        (SUN, 3, date(2027, 3, 10)),
        (FRI, 1, date(2027, 3, 8)),
        (SAT, 1, date(2027, 3, 8)),
        (MON, 5, date(2027, 3, 8)),
        (SAT, 5, date(2027, 3, 12)),
        (SAT, 6, date(2027, 3, 15)),
        (MON, 10, date(2027, 3, 15)),
        (date(2027, 12, 30), 3, date(2028, 1, 4)),  # across a year end (holidays not modelled)
    ],
)
def test_delivery_deadline(ordered: date, days: int, deadline: date) -> None:
    assert delivery_deadline(ordered, days) == deadline


@given(ordered=st.dates(date(2000, 1, 1), date(2100, 1, 1)), days=st.integers(1, 60))
def test_delivery_deadline_counts_business_days(ordered: date, days: int) -> None:
    deadline = delivery_deadline(ordered, days)
    between = [ordered + timedelta(d) for d in range(1, (deadline - ordered).days + 1)]
    assert sum(d.weekday() < 5 for d in between) == days
    assert deadline.weekday() < 5


def test_delivery_days_must_be_positive() -> None:
    with pytest.raises(ValueError):
        delivery_deadline(MON, 0)


@pytest.mark.parametrize(
    ("delivered", "today", "failure"),
    [
        (WED, date(2027, 4, 1), False),
        (THU, date(2027, 4, 1), False),  # on the deadline
        (FRI, date(2027, 4, 1), True),  # a day late
        (None, THU, False),  # not delivered yet, deadline not passed
        (None, FRI, True),
        (None, MON, False),
    ],
)
def test_is_supply_failure(delivered: date | None, today: date, failure: bool) -> None:
    assert is_supply_failure(MON, delivered, today, 3) is failure
