"""The seeded agreement year: ledger identities, due dates, determinism (SPEC §9)."""

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from solver.agreement import settlement_due_date
from solver.document import parse_round_document
from solver.engine import simulate
from solver.money import round_money
from solver.year import (
    Contract,
    YearSettings,
    _order,
    _split,
    contracts_from_outcome,
    simulate_year,
)

SMALL = json.loads((Path(__file__).parents[2] / "examples" / "small-round.json").read_text())


@pytest.fixture(scope="module")
def contracts():
    round_ = parse_round_document(SMALL)
    regions = {i.id: i.region for i in round_.document.institutions}
    return contracts_from_outcome(simulate(round_), regions)


def year(contracts, **kw):
    return simulate_year(
        contracts,
        agreement_start=date(2027, 1, 1),
        prepay_ratio=Decimal("0.30"),
        settings=YearSettings(**kw),
    )


def test_contracts_carry_region_backup_and_its_price(contracts):
    h002 = next(c for c in contracts if c.institution == "H002")
    assert (h002.enterprise, h002.region, h002.backup, h002.backup_price) == (
        "E01", "KM", "E02", Decimal("0.1200"),
    )  # fmt: skip
    met = next(c for c in contracts if c.group == "MET-SR")
    assert met.backup is None  # one winner: no backup


def test_fund_ledger_identity_holds_every_month(contracts):
    report = year(contracts, failure_probability=0.2)
    previous_closing = Decimal(0)
    for row in report["months"]:
        opening = Decimal(row["prepayment_opening"])
        assert opening == previous_closing
        assert opening + Decimal(row["prepayment_disbursed"]) - Decimal(
            row["prepayment_offset"]
        ) == Decimal(row["prepayment_closing"])
        previous_closing = Decimal(row["prepayment_closing"])
    assert report["months"][0]["prepayment_disbursed"] == "13787.98"  # = the outcome's total
    assert report["months"][-1]["prepayment_closing"] == "0.00"


def test_each_institution_is_offset_exactly_its_prepayment(contracts):
    for p in year(contracts)["prepayments"]:
        assert sum(Decimal(x) for x in p["offset_by_month"]) == Decimal(p["prepayment"])
    h001 = next(p for p in year(contracts)["prepayments"] if p["institution"] == "H001")
    assert (h001["annual_contract_amount"], h001["prepayment"]) == ("21795.60", "6538.68")


def test_same_seed_same_year_and_another_seed_differs(contracts):
    assert year(contracts, seed=7) == year(contracts, seed=7)
    assert year(contracts, seed=7)["months"] != year(contracts, seed=8)["months"]


def test_no_failures_when_probability_is_zero(contracts):
    report = year(contracts, failure_probability=0.0)
    assert report["summary"]["supply_failures"] == 0
    assert all(s["failed"] == 0 and s["late"] == 0 for s in report["suppliers"])


def test_every_failure_with_a_backup_activates_it(contracts):
    report = year(contracts, failure_probability=1.0)
    assert report["summary"]["supply_failures"] == report["summary"]["orders"]
    # AML-ORAL has backups in every region; MET-SR (one winner) has none.
    aml_orders = sum(12 for c in contracts if c.group == "AML-ORAL")
    assert report["summary"]["backup_activations"] == aml_orders


def test_orders_follow_the_agreed_volume_within_the_purchase_factor(contracts):
    report = year(contracts, purchase_factor=(1.0, 1.0))
    for row in report["contracts"]:
        assert row["within_agreed_volume"] + row["beyond_agreed_volume"] == row["purchased_volume"]
        assert row["purchased_volume"] <= row["agreed_volume"]
    assert sum(m["ordered_volume"] for m in report["months"]) == sum(
        c.agreed_volume for c in contracts
    )


def test_invoices_are_due_at_the_end_of_the_month_after_acceptance(contracts):
    import random

    c = contracts[0]
    settings = YearSettings()
    from solver.year import _Month

    month = _Month(1, date(2027, 1, 1), date(2027, 1, 31))
    rng = random.Random(3)
    for _ in range(200):
        o = _order(rng, c, month, 100, settings)
        assert o.due_on == settlement_due_date(o.accepted_on)
        expected_price = c.backup_price if o.backup_activated else c.price
        assert (o.price, o.amount) == (expected_price, round_money(100 * expected_price))
        assert o.ordered_on.weekday() < 5


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (10, [1, 1, 1], [4, 3, 3]),
        (12, [1.0] * 12, [1] * 12),
        (0, [1, 2], [0, 0]),
        (7, [3, 1], [5, 2]),
    ],
)
def test_split_conserves_whole_units(total, weights, parts):
    assert _split(total, weights) == parts


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="failure_probability"):
        YearSettings(failure_probability=1.5)
    with pytest.raises(ValueError, match="seasonality"):
        YearSettings(seasonality=(1.0,) * 11)


def test_overdue_counts_unpaid_invoices_past_their_due_date():
    c = Contract("H1", "G", "E1", "R", 1200, Decimal("1.0000"))
    report = simulate_year(
        [c], agreement_start=date(2027, 1, 1), prepay_ratio=Decimal("0.30"),
        settings=YearSettings(late_payment_probability=1.0, late_payment_days=(40, 40), failure_probability=0.0),
    )  # fmt: skip
    # Every invoice is paid 40 days after its due date, so some are overdue at each month end
    # after the first due date (end of February at the earliest).
    assert report["months"][0]["overdue_invoices"] == 0
    assert any(m["overdue_invoices"] > 0 for m in report["months"][2:])


def test_fulfilment_counts_within_the_agreed_volume_and_shows_the_rest_apart(contracts):
    # as the service's fulfilment does: purchased = within + beyond; percent of within
    report = year(contracts, purchase_factor=(1.3, 1.3))
    rows = report["contracts"]
    assert any(r["beyond_agreed_volume"] > 0 for r in rows)
    for r in rows:
        assert r["within_agreed_volume"] == min(r["purchased_volume"], r["agreed_volume"])
        assert r["beyond_agreed_volume"] == r["purchased_volume"] - r["within_agreed_volume"]
        assert Decimal(r["percent_complete"]) <= 100
    within = sum(r["within_agreed_volume"] for r in rows)
    agreed = sum(r["agreed_volume"] for r in rows)
    expected = (Decimal(within) * 100 / agreed).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert report["summary"]["fulfilment_percent"] == str(expected)
    # the last month's running figure is the year's
    assert report["months"][-1]["fulfilment_percent"] == report["summary"]["fulfilment_percent"]
