# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""The prepayment ledger, fulfilment and surplus retention (SPEC §9), hand-checked."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.api.conftest import assert_problem, at_once
from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    ROUND,
    Period,
    api,
    app,
    client,
    period,
)

LEDGER = f"/api/v1/rounds/{ROUND}/prepayment-ledger"
FULFILMENT = f"/api/v1/rounds/{ROUND}/fulfilment"
SURPLUS = f"/api/v1/rounds/{ROUND}/surplus-retention"


def _ledger(period: Period, actor: str = "bureau", **params: Any) -> dict[str, Any]:
    r = period.client.get(LEDGER, params=params, headers=period.who(actor))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _check_identities(months: list[dict[str, Any]]) -> None:
    previous_closing = Decimal(0)
    for m in months:
        opening, disbursed = Decimal(m["opening"]), Decimal(m["disbursed"])
        offset, closing = Decimal(m["offset"]), Decimal(m["closing"])
        assert opening + disbursed - offset == closing, m
        assert opening == previous_closing, m
        previous_closing = closing


def test_the_fund_disburses_30_percent_of_each_annual_amount_at_the_start(
    period: Period,
) -> None:
    period.today(date(2027, 1, 4))
    ledger = _ledger(period)
    got = {
        i["institution_id"]: (i["annual_contract_amount"], i["prepayment"], i["disbursed_on"])
        for i in ledger["institutions"]
    }
    assert got == {
        "H001": ("21795.60", "6538.68", "2027-01-01"),  # 17295.60 + 4500.00; × 0.30
        "H002": ("9224.32", "2767.30", "2027-01-01"),  # 2767.296 → 2767.30
        "H003": ("4860.00", "1458.00", "2027-01-01"),
        "H004": ("7560.00", "2268.00", "2027-01-01"),
        "H005": ("2520.00", "756.00", "2027-01-01"),
    }
    assert ledger["fund"]["prepayment_total"] == "13787.98"  # the outcome's prepayment_total
    first = ledger["fund"]["months"][0]
    assert (first["opening"], first["disbursed"], first["closing"]) == (
        "0.00",
        "13787.98",
        "13787.98",
    )
    assert first["status"] == "current" and ledger["fund"]["months"][1]["status"] == "future"


def test_monthly_offsets_follow_accepted_purchases(period: Period) -> None:
    period.buy("H001", 7000, ordered=date(2027, 1, 4))  # 1441.30 accepted in January
    period.buy("H001", 10000, ordered=date(2027, 2, 1), group="MET-SR")  # 1500.00 in February
    period.buy("H002", 1000, ordered=date(2027, 2, 1))  # 205.90 in February
    period.today(date(2027, 3, 1))
    ledger = _ledger(period)
    h1 = next(i for i in ledger["institutions"] if i["institution_id"] == "H001")
    # 6538.68 × 1441.30 / 21795.60 = 432.39; × 1500.00 / 21795.60 = 450.00
    rows = [(m["accepted"], m["offset"], m["closing"]) for m in h1["months"][:3]]
    assert rows == [
        ("1441.30", "432.39", "6106.29"),
        ("1500.00", "450.00", "5656.29"),
        ("0.00", "0.00", "5656.29"),
    ]
    # the year end offsets whatever remains
    assert (h1["months"][11]["offset"], h1["months"][11]["closing"]) == ("5656.29", "0.00")
    assert (h1["year_end_remainder"], h1["outstanding"]) == ("5656.29", "5656.29")
    h2 = next(i for i in ledger["institutions"] if i["institution_id"] == "H002")
    assert h2["months"][1]["offset"] == "61.77"  # 2767.30 × 205.90 / 9224.32
    fund = ledger["fund"]["months"]
    assert (fund[1]["offset"], fund[1]["net_cash_out"]) == ("511.77", "-511.77")  # 450 + 61.77
    for entry in [*ledger["institutions"], ledger["fund"]]:
        _check_identities(entry["months"])
    # offset so far (January to the current March), so that prepayment − offset = outstanding;
    # the months to come are projections
    fund_total = ledger["fund"]
    assert fund_total["offset_total"] == "944.16"  # 432.39 + 511.77 + 0
    for entry in [h1, h2, fund_total]:
        prepaid = entry.get("prepayment", entry.get("prepayment_total"))
        assert Decimal(prepaid) - Decimal(entry["offset_total"]) == Decimal(entry["outstanding"])
    assert ledger["fund"]["months"][11]["closing"] == "0.00"


def test_an_institution_reads_only_its_own_ledger(period: Period) -> None:
    period.today(date(2027, 1, 4))
    ledger = _ledger(period, "H003")
    assert [i["institution_id"] for i in ledger["institutions"]] == ["H003"]
    assert ledger["fund"]["prepayment_total"] == "1458.00"
    assert _ledger(period, "H003", institution_id="H003") == ledger
    # another institution's id narrows what H003 may see to nothing (it used to show H003's
    # own ledger under H001's name)
    other = _ledger(period, "H003", institution_id="H001")
    assert other["institutions"] == [] and other["fund"]["prepayment_total"] == "0.00"
    r = period.client.get(LEDGER, headers=period.who("E01"))
    assert_problem(r, 403, type_suffix="forbidden")


def test_no_prepayment_before_the_agreement_period(api: Any, clock: Any, database: Any) -> None:
    from tests.api.test_contracts_world import build_period

    p = build_period(api, clock, database, state="published")
    ledger = _ledger(p)
    assert ledger["institutions"] == [] and ledger["fund"]["prepayment_total"] == "0.00"
    p.move("in_agreement")
    assert _ledger(p)["fund"]["prepayment_total"] == "13787.98"
    events = p.client.get(
        "/api/v1/audit", params={"entity_type": "prepayment"}, headers=p.bureau
    ).json()["items"]
    assert next((e["entity_id"], e["after"]["amount"]) for e in events) == (
        f"{ROUND}/1/H001",
        "6538.68",
    )


# -- fulfilment --------------------------------------------------------------------------------


def _fulfilment(period: Period, actor: str = "bureau", **params: Any) -> dict[str, Any]:
    r = period.client.get(FULFILMENT, params=params, headers=period.who(actor))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_fulfilment_per_contract_with_a_projection_to_year_end(period: Period) -> None:
    period.buy("H001", 42000, ordered=date(2027, 3, 1))
    period.buy("H003", 30000, ordered=date(2027, 3, 1))  # 2000 beyond its 28000
    period.today(date(2027, 6, 30))  # day 181 of 365
    report = _fulfilment(period)
    assert (report["elapsed_days"], report["year_days"], report["as_of"]) == (
        181,
        365,
        "2027-06-30",
    )
    rows = {(r["key"]["institution_id"], r["key"]["group_id"]): r for r in report["rows"]}
    h1 = rows[("H001", "AML-ORAL")]
    assert (h1["agreed_volume"], h1["purchased_volume"], h1["percent_complete"]) == (
        84000,
        42000,
        "50.00",
    )
    # 42000 × 365 / 181 = 84696.13 → 84696, 100.83 % of 84000
    assert (h1["projected_volume"], h1["projected_percent"]) == (84696, "100.83")
    h3 = rows[("H003", "AML-ORAL")]
    assert (h3["within_agreed_volume"], h3["beyond_agreed_volume"], h3["percent_complete"]) == (
        28000,
        2000,
        "100.00",
    )


@pytest.mark.parametrize(
    ("by", "key", "expected"),
    [
        # KM: H001 AML 84000 + H001 MET 30000 + H002 AML 44800; 42000 bought: 26.45 %
        ("region", {"region": "KM"}, (158800, 42000, 0, "26.45")),
        ("institution", {"institution_id": "H003", "region": "QJ"}, (38000, 30000, 2000, "73.68")),
        ("group", {"group_id": "AML-ORAL"}, (240800, 72000, 2000, "29.07")),
    ],
)
def test_fulfilment_by_institution_group_and_region_keeps_beyond_apart(
    period: Period, by: str, key: dict[str, str], expected: tuple[int, int, int, str]
) -> None:
    period.buy("H001", 42000, ordered=date(2027, 3, 1))
    period.buy("H003", 30000, ordered=date(2027, 3, 1))
    report = _fulfilment(period, by=by)
    (row,) = [r for r in report["rows"] if r["key"] == key]
    assert (
        row["agreed_volume"],
        row["purchased_volume"],
        row["beyond_agreed_volume"],
        row["percent_complete"],
    ) == expected


def test_fulfilment_shows_each_actor_its_own_contracts(period: Period) -> None:
    period.today(date(2027, 2, 1))
    assert {r["key"]["institution_id"] for r in _fulfilment(period, "H002")["rows"]} == {"H002"}
    assert {r["key"]["enterprise_id"] for r in _fulfilment(period, "E01")["rows"]} == {"E01"}
    assert _fulfilment(period, "E01")["total"]["agreed_volume"] == 128800  # 84000 + 44800


# -- surplus retention -------------------------------------------------------------------------

RATIOS = {"insurer_payment_ratio": "0.70", "insured_share": "0.90"}
GRADES = {"H001": "A", "H002": "A", "H003": "B", "H004": "C", "H005": "A"}


def test_surplus_retention_at_year_end(period: Period) -> None:
    period.buy("H001", 84000, ordered=date(2027, 3, 1))  # completes AML-ORAL
    period.buy("H002", 10000, ordered=date(2027, 3, 1))  # does not complete
    period.today(date(2028, 1, 5))
    r = period.client.post(
        SURPLUS, json={"year": 1, **RATIOS, "grades": GRADES}, headers=period.bureau
    )
    assert r.status_code == 200, r.text
    rows = {(x["institution_id"], x["group_id"]): x for x in r.json()["rows"]}
    h1 = rows[("H001", "AML-ORAL")]
    # budget 84000 × 0.9000 × 0.70 × 0.90 = 47628.00; actual 84000 × 0.2059 × 0.63 = 10896.23;
    # surplus 36731.77; grade A keeps half: 18365.886 → 18365.89
    assert (h1["budget"], h1["actual"], h1["surplus"], h1["grade"], h1["retention"]) == (
        "47628.00",
        "10896.23",
        "36731.77",
        "A",
        "18365.89",
    )
    h2 = rows[("H002", "AML-ORAL")]
    # not completed: D whatever the bureau's grade, nothing retained
    assert (h2["completed"], h2["grade_given"], h2["grade"], h2["surplus"], h2["retention"]) == (
        False,
        "A",
        "D",
        "24104.43",
        "0.00",
    )
    mine = period.client.get(SURPLUS, headers=period.who("H001")).json()
    assert {x["institution_id"] for x in mine["rows"]} == {"H001"}
    assert mine["retention_total"] == "18365.89"  # MET-SR not completed either


def test_simultaneous_surplus_computations_take_turns(period: Period) -> None:
    """Four computations of one year at once (computing again replaces the figures): each
    answers 200 with a full set, and the stored figures are one whole set, of the last to
    finish (PostgreSQL: they take turns on the round instead of inserting beside each
    other)."""
    period.buy("H001", 84000, ordered=date(2027, 3, 1))
    period.today(date(2028, 1, 5))
    grades = iter(["A", "B", "C", "D"])

    def compute(client: Any) -> Any:
        body = {"year": 1, **RATIOS, "grades": {**GRADES, "H001": next(grades)}}
        return client.post(SURPLUS, json=body, headers=period.bureau)

    responses = at_once(period.client.app, 4, compute)
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    stored = period.client.get(SURPLUS, headers=period.bureau).json()
    assert stored in [r.json() for r in responses]
    assert len(stored["rows"]) == len(period.contracts(year=1))


def test_surplus_retention_waits_for_the_year_end(period: Period) -> None:
    period.today(date(2027, 12, 31))
    r = period.client.post(
        SURPLUS, json={"year": 1, **RATIOS, "grades": GRADES}, headers=period.bureau
    )
    body = assert_problem(r, 409, type_suffix="too-early")
    assert "ends on 2027-12-31" in body["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grades": {k: v for k, v in GRADES.items() if k != "H004"}}, "body.grades.H004"),
        ({"grades": {**GRADES, "H009": "A"}}, "body.grades.H009"),
        ({"grades": {**GRADES, "H001": "E"}}, "body.grades.H001"),
        ({"insured_share": "1.10"}, "body.insured_share"),
    ],
)
def test_surplus_retention_inputs_are_checked(
    period: Period, change: dict[str, Any], field: str
) -> None:
    period.today(date(2028, 1, 5))
    body = {"year": 1, **RATIOS, "grades": GRADES, **change}
    problem = assert_problem(period.client.post(SURPLUS, json=body, headers=period.bureau), 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert period.client.get(SURPLUS, headers=period.bureau).json()["rows"] == []
