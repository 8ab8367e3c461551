# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""Contracts (SPEC §9): created at publication from the stored outcome, one per (institution,
winner, group), each actor seeing only its own; a new agreement year renews them with agreed
volume max(last year's agreed, last year's purchases)."""

from datetime import date
from decimal import Decimal

import pytest

from app.clock import FixedClock
from tests.api.conftest import Api, assert_problem
from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    ROUND,
    Period,
    api,
    app,
    build_period,
    client,
    period,
)
from tests.conftest import TestDatabase

# (institution, group, enterprise, agreed volume, price, annual amount, role, region, backup,
#  backup price, term) as examples/small-round.json awards them, checked by hand:
# 84000 × 0.2059 = 17295.60; 44800 × 0.2059 = 9224.32; 28000 × 0.1200 = 3360.00; …
EXPECTED = [
    ("H001", "AML-ORAL", "E01", 84000, "0.2059", "17295.60", "preferred", "KM", "E02", "0.1200", 2),
    ("H001", "MET-SR", "E02", 30000, "0.1500", "4500.00", "primary", "KM", None, None, 1),
    ("H002", "AML-ORAL", "E01", 44800, "0.2059", "9224.32", "primary", "KM", "E02", "0.1200", 2),
    ("H003", "AML-ORAL", "E02", 28000, "0.1200", "3360.00", "primary", "QJ", "E01", "0.2059", 2),
    ("H003", "MET-SR", "E02", 10000, "0.1500", "1500.00", "primary", "QJ", None, None, 1),
    ("H004", "AML-ORAL", "E02", 63000, "0.1200", "7560.00", "primary", "QJ", "E01", "0.2059", 2),
    ("H005", "AML-ORAL", "E02", 21000, "0.1200", "2520.00", "primary", "DL", "E01", "0.2059", 2),
]  # fmt: skip


def test_publication_creates_one_contract_per_allocation(
    api: Api, clock: FixedClock, database: TestDatabase
) -> None:
    p = build_period(api, clock, database, state="awarded")
    assert p.contracts() == []
    p.move("published")
    got = [
        (
            c["institution_id"],
            c["group_id"],
            c["enterprise_id"],
            c["agreed_volume"],
            c["price"],
            c["annual_amount"],
            c["role"],
            c["region"],
            c["backup_enterprise_id"],
            c["backup_price"],
            c["term_years"],
        )
        for c in p.contracts()
    ]
    assert got == EXPECTED


def test_a_contract_carries_its_year_and_term(period: Period) -> None:
    aml, met = period.contract("H001", "AML-ORAL"), period.contract("H001", "MET-SR")
    # three winners in AML-ORAL: a 2-year term; one winner in MET-SR: 1 year (SPEC §7)
    assert (aml["year"], aml["starts_on"], aml["ends_on"], aml["term_ends_on"]) == (
        1,
        "2027-01-01",
        "2027-12-31",
        "2028-12-31",
    )
    assert (met["ends_on"], met["term_ends_on"]) == ("2027-12-31", "2027-12-31")


def test_annual_amounts_add_up_to_the_outcome(period: Period) -> None:
    total = sum(Decimal(c["annual_amount"]) for c in period.contracts())
    assert total == Decimal("45959.92")  # summary.contract_amount of the outcome


def test_contract_creation_is_in_the_audit_trail(period: Period) -> None:
    r = period.client.get(
        "/api/v1/audit",
        params={"round_id": ROUND, "entity_type": "contract"},
        headers=period.bureau,
    )
    events = r.json()["items"]
    assert len(events) == 7
    assert events[0]["entity_id"] == f"{ROUND}/1/H001/AML-ORAL/E01"
    assert events[0]["action"] == "create" and events[0]["after"]["annual_amount"] == "17295.60"


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("H003", {("H003", "AML-ORAL"), ("H003", "MET-SR")}),
        ("E01", {("H001", "AML-ORAL"), ("H002", "AML-ORAL")}),
        ("E03", set()),  # a winner without an allocation has no contract
    ],
)
def test_each_actor_lists_only_its_own_contracts(
    period: Period, actor: str, expected: set[tuple[str, str]]
) -> None:
    got = {(c["institution_id"], c["group_id"]) for c in period.contracts(actor)}
    assert got == expected


def test_another_actors_contract_is_not_found(period: Period) -> None:
    contract = period.contract("H001")
    url = f"/api/v1/contracts/{contract['id']}"
    assert period.client.get(url, headers=period.who("H001")).status_code == 200
    assert period.client.get(url, headers=period.who("E01")).status_code == 200
    for other in ("H002", "E02"):
        body = assert_problem(
            period.client.get(url, headers=period.who(other)), 404, type_suffix="not-found"
        )
        assert body["detail"] == f"no contract {contract['id']}"


# -- renewal ----------------------------------------------------------------------------------


def _start_year(period: Period, year: int) -> object:
    return period.client.post(
        f"/api/v1/rounds/{ROUND}/agreement-years", json={"year": year}, headers=period.bureau
    )


def test_a_new_year_renews_with_agreed_volume_no_lower_than_last_year(period: Period) -> None:
    # H001 buys 90000 (6000 beyond its 84000); H002 only 10000 of its 44800
    period.buy("H001", 50000, ordered=date(2027, 3, 1))
    period.buy("H001", 40000, ordered=date(2027, 9, 1))
    period.buy("H002", 10000, ordered=date(2027, 3, 1))
    period.today(date(2028, 1, 3))
    r = _start_year(period, 2)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert (body["year"], body["starts_on"], body["ends_on"]) == (2, "2028-01-01", "2028-12-31")
    renewed = {(c["institution_id"], c["group_id"]): c for c in body["contracts"]}
    # only the 2-year groups continue; MET-SR (1 year) ends
    assert set(renewed) == {(i, "AML-ORAL") for i in ("H001", "H002", "H003", "H004", "H005")}
    assert len(body["ended"]) == 2
    h1, h2 = renewed[("H001", "AML-ORAL")], renewed[("H002", "AML-ORAL")]
    assert (h1["previous_agreed_volume"], h1["purchased_volume"], h1["agreed_volume"]) == (
        84000,
        90000,
        90000,
    )
    assert h1["annual_amount"] == "18531.00"  # 90000 × 0.2059
    assert (h2["purchased_volume"], h2["agreed_volume"]) == (10000, 44800)
    # the year's prepayments: 30 % of each institution's renewed annual amount
    # H001 18531.00 → 5559.30; H002 9224.32 → 2767.30; H003 3360.00 → 1008.00;
    # H004 7560.00 → 2268.00; H005 2520.00 → 756.00
    assert body["prepayment_total"] == "12358.60"
    year2 = period.contracts(round_id=ROUND, year=2)
    assert {c["previous_contract_id"] for c in year2} == {
        c["id"] for c in period.contracts(round_id=ROUND, year=1) if c["group_id"] == "AML-ORAL"
    }
    # an order on last year's contract points to its renewal (not to a year already started)
    r = period.order("H001", 100)  # year 1's contract
    body = assert_problem(r, 409, type_suffix="outside-term")
    renewal = next(c for c in year2 if c["institution_id"] == "H001")
    assert body["detail"].endswith(f"order against its renewal, contract {renewal['id']}")


def test_a_new_year_cannot_start_before_it_begins(period: Period) -> None:
    period.today(date(2027, 12, 31))
    body = assert_problem(_start_year(period, 2), 409, type_suffix="too-early")
    assert "starts on 2028-01-01" in body["detail"]
    assert period.contracts(round_id=ROUND, year=2) == []


def test_only_the_next_year_can_start(period: Period) -> None:
    period.today(date(2029, 1, 2))
    body = assert_problem(_start_year(period, 3), 422, type_suffix="invalid-input")
    assert body["errors"][0]["field"] == "body.year"
    assert "the next is 2" in body["errors"][0]["message"]


def test_no_year_beyond_the_longest_term(period: Period) -> None:
    period.today(date(2028, 1, 2))
    assert _start_year(period, 2).status_code == 201  # type: ignore[attr-defined]
    period.today(date(2029, 1, 2))
    body = assert_problem(_start_year(period, 3), 409, type_suffix="conflict")
    assert "ends with agreement year 2" in body["detail"]


def test_a_new_year_needs_the_agreement_period(
    api: Api, clock: FixedClock, database: TestDatabase
) -> None:
    p = build_period(api, clock, database, state="published")
    p.today(date(2028, 1, 2))
    body = assert_problem(_start_year(p, 2), 409, type_suffix="wrong-state")
    assert "published" in body["detail"]


def test_an_awarded_round_without_agreement_start_gets_one_before_publishing(
    api: Api, clock: FixedClock
) -> None:
    # publishing asks for the agreement start ("set it before publishing"), so the bureau
    # must be able to set it on an awarded round, e.g. one imported from a document without it
    from tests.api.test_contracts_world import DOCUMENT, at

    clock.set(at(date(2026, 12, 10)))
    document = {**DOCUMENT, "round": {**DOCUMENT["round"], "agreement_start": None}}
    assert (
        api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau).status_code
        == 201
    )
    r = api.client.post(f"/api/v1/rounds/{ROUND}/award", json={}, headers=api.bureau)
    assert r.status_code == 202, r.text
    body = assert_problem(api.move(ROUND, "published"), 409, type_suffix="transition-blocked")
    assert "agreement_start" in body["detail"]
    r = api.client.patch(
        f"/api/v1/rounds/{ROUND}", json={"agreement_start": "2027-02-01"}, headers=api.bureau
    )
    assert r.status_code == 200, r.text
    assert r.json()["agreement_start"] == "2027-02-01"
    assert api.move(ROUND, "published").status_code == 200
    contracts = api.client.get(
        "/api/v1/contracts", params={"round_id": ROUND}, headers=api.bureau
    ).json()["items"]
    assert contracts and {c["starts_on"] for c in contracts} == {"2027-02-01"}


def test_after_the_award_a_set_agreement_start_stays_as_the_outcome_names_it(
    api: Api, clock: FixedClock
) -> None:
    from tests.api.test_contracts_world import DOCUMENT, at

    clock.set(at(date(2026, 12, 10)))
    start = DOCUMENT["round"]["agreement_start"]
    assert start
    r = api.client.post("/api/v1/rounds:import", json=DOCUMENT, headers=api.bureau)
    assert r.status_code == 201, r.text
    r = api.client.post(f"/api/v1/rounds/{ROUND}/award", json={}, headers=api.bureau)
    assert r.status_code == 202, r.text
    for other in ("2027-02-01", None):
        r = api.client.patch(
            f"/api/v1/rounds/{ROUND}", json={"agreement_start": other}, headers=api.bureau
        )
        body = assert_problem(r, 409, type_suffix="wrong-state")
        assert start in body["detail"] and "awarded" in body["detail"]
    r = api.client.patch(
        f"/api/v1/rounds/{ROUND}", json={"agreement_start": start}, headers=api.bureau
    )
    assert r.status_code == 200, r.text


def test_the_agreement_start_is_fixed_once_published(period: Period) -> None:
    r = period.client.patch(
        f"/api/v1/rounds/{ROUND}", json={"agreement_start": "2027-02-01"}, headers=period.bureau
    )
    body = assert_problem(r, 409, type_suffix="wrong-state")
    assert "in_agreement" in body["detail"]
