# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""Orders → deliveries → acceptance → invoices → payments (SPEC §9), with hand-checked money
and dates, and every bad input as a problem+json that leaves nothing half-written."""

from datetime import date
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

MONDAY = date(2027, 1, 4)


def _order(period: Period, order_id: int, actor: str = "bureau") -> dict[str, Any]:
    r = period.client.get(f"/api/v1/orders/{order_id}", headers=period.who(actor))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _invoices(period: Period, actor: str = "bureau", **params: Any) -> dict[str, Any]:
    r = period.client.get("/api/v1/invoices", params=params, headers=period.who(actor))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_an_order_is_placed_today_with_its_delivery_deadline(period: Period) -> None:
    period.today(date(2027, 1, 8))  # a Friday
    order = period.place("H001", 7000)
    assert order["status"] == "placed"
    assert (order["ordered_on"], order["deadline"]) == (
        "2027-01-08",
        "2027-01-13",
    )  # 3 business days
    assert (order["enterprise_id"], order["supplier_id"], order["supplier_role"]) == (
        "E01",
        "E01",
        "winner",
    )
    assert (order["price"], order["amount"]) == ("0.2059", "1441.30")  # 7000 × 0.2059


def test_delivery_and_acceptance_issue_the_invoice(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    period.today(date(2027, 1, 6))
    delivered = period.deliver(order, date(2027, 1, 5))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered" and not delivered.json()["supply_failure"]
    r = period.accept(order, date(2027, 1, 6))
    assert r.status_code == 201, r.text
    invoice = r.json()
    assert r.headers["Location"] == f"/api/v1/invoices/{invoice['id']}"
    assert (invoice["amount"], invoice["payee_id"], invoice["volume"]) == ("1441.30", "E01", 7000)
    assert (invoice["accepted_on"], invoice["due_on"]) == ("2027-01-06", "2027-02-28")
    assert (invoice["status"], invoice["outstanding"], invoice["days_overdue"]) == (
        "open",
        "1441.30",
        0,
    )
    assert _order(period, order["id"])["invoice_id"] == invoice["id"]


@pytest.mark.parametrize(
    ("ordered", "accepted", "due"),
    [
        # SPEC §9: the last day of the month after acceptance (交货验收合格后次月底前)
        (date(2027, 1, 29), date(2027, 1, 31), "2027-02-28"),
        (date(2027, 12, 13), date(2027, 12, 15), "2028-01-31"),
        (date(2027, 12, 30), date(2028, 1, 10), "2028-02-29"),  # 2028 is a leap year
    ],
)
def test_settlement_due_dates_of_the_spec(
    period: Period, ordered: date, accepted: date, due: str
) -> None:
    invoice = period.buy("H003", 1000, ordered=ordered, accepted=accepted)
    assert (invoice["accepted_on"], invoice["due_on"]) == (accepted.isoformat(), due)


def test_payments_settle_the_invoice(period: Period) -> None:
    invoice = period.buy("H001", 7000, ordered=MONDAY)
    period.today(date(2027, 2, 10))
    r = period.pay(invoice, "1000.00", date(2027, 2, 1))
    assert r.status_code == 201, r.text
    assert (r.json()["paid_amount"], r.json()["outstanding"], r.json()["status"]) == (
        "1000.00",
        "441.30",
        "open",
    )
    r = period.pay(invoice, "441.30")
    paid = r.json()
    assert (paid["outstanding"], paid["status"], paid["paid_on"]) == ("0.00", "paid", "2027-02-10")
    assert [p["amount"] for p in paid["payments"]] == ["1000.00", "441.30"]


def test_an_unpaid_invoice_is_overdue_after_its_due_date(period: Period) -> None:
    late = period.buy("H001", 7000, ordered=MONDAY)  # due 2027-02-28
    on_time = period.buy("H002", 1000, ordered=MONDAY)
    period.today(date(2027, 2, 20))
    assert period.pay(on_time, "205.90").status_code == 201
    period.today(date(2027, 3, 10))
    overdue = _invoices(period, overdue="true")
    assert [i["id"] for i in overdue["items"]] == [late["id"]]
    assert (overdue["items"][0]["days_overdue"], overdue["items"][0]["overdue"]) == (10, True)
    assert overdue["totals"]["overdue_outstanding"] == "1441.30"
    assert overdue["as_of"] == "2027-03-10"
    # paid five days late: no longer overdue, five days on its record
    r = period.pay(late, "1441.30", date(2027, 3, 5))
    assert (r.json()["days_overdue"], r.json()["overdue"]) == (5, False)
    assert _invoices(period, overdue="true")["items"] == []


def test_each_actor_lists_its_own_invoices_and_receivables(period: Period) -> None:
    a = period.buy("H001", 7000, ordered=MONDAY)  # payable to E01
    b = period.buy("H003", 1000, ordered=MONDAY)  # payable to E02
    c = period.buy("H002", 1000, ordered=MONDAY)  # payable to E01
    period.today(date(2027, 3, 10))

    def ids(page: dict[str, Any]) -> list[int]:
        return [i["id"] for i in page["items"]]

    assert ids(_invoices(period)) == [a["id"], b["id"], c["id"]]
    assert ids(_invoices(period, "H001")) == [a["id"]]
    assert ids(_invoices(period, "E01")) == [a["id"], c["id"]]
    assert ids(_invoices(period, "E03")) == []
    r = period.client.get("/api/v1/enterprises/E01/receivables", headers=period.who("E01"))
    assert ids(r.json()) == [a["id"], c["id"]] and r.json()["totals"]["outstanding"] == "1647.20"
    r = period.client.get("/api/v1/institutions/H003/invoices", headers=period.bureau)
    assert ids(r.json()) == [b["id"]]
    for url, other in (
        ("/api/v1/institutions/H003/invoices", "H001"),
        ("/api/v1/enterprises/E01/receivables", "E02"),
        (f"/api/v1/invoices/{a['id']}", "H002"),
        (f"/api/v1/invoices/{a['id']}", "E02"),
    ):
        assert_problem(period.client.get(url, headers=period.who(other)), 404)


def test_a_rejected_delivery_closes_the_order(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    period.deliver(order)
    r = period.client.post(
        f"/api/v1/orders/{order['id']}/rejection",
        json={"reason": "12 packs damaged in transit"},
        headers=period.who("H001"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["rejection_reason"]) == (
        "rejected",
        "12 packs damaged in transit",
    )
    body = assert_problem(period.accept(order), 409, type_suffix="order-state")
    assert "rejected" in body["detail"] and body["order_status"] == "rejected"


# -- bad input ---------------------------------------------------------------------------------


def test_an_institution_cannot_order_on_another_institutions_contract(period: Period) -> None:
    period.today(MONDAY)
    contract = period.contract("H002")
    r = period.client.post(
        "/api/v1/orders",
        json={"contract_id": contract["id"], "volume": 100},
        headers=period.who("H001"),
    )
    body = assert_problem(r, 404, type_suffix="not-found")
    assert body["detail"] == f"no contract {contract['id']}"


@pytest.mark.parametrize(
    ("today", "words"),
    [
        (date(2026, 12, 31), "no orders before its agreement year starts"),
        (date(2028, 1, 3), "ran until 2027-12-31: start agreement year 2 to renew it"),
    ],
)
def test_orders_outside_the_contract_year_are_refused(
    period: Period, today: date, words: str
) -> None:
    period.today(today)
    body = assert_problem(period.order("H001", 100), 409, type_suffix="outside-term")
    assert words in body["detail"]


def test_an_order_after_the_term_has_ended_is_refused(period: Period) -> None:
    period.today(date(2028, 1, 3))
    body = assert_problem(period.order("H001", 100, "MET-SR"), 409, type_suffix="outside-term")
    assert "its term has ended" in body["detail"]


def test_an_order_needs_a_positive_volume(period: Period) -> None:
    period.today(MONDAY)
    body = assert_problem(period.order("H001", 0), 422, type_suffix="invalid-input")
    assert body["errors"][0]["field"] == "body.volume"
    # a JSON true once ordered one unit
    contract = period.contract("H001")
    for body in ({"contract_id": contract["id"], "volume": True},
                 {"contract_id": True, "volume": 10},
                 {"contract_id": contract["id"], "volume": "10"}):  # fmt: skip
        r = period.client.post("/api/v1/orders", json=body, headers=period.who("H001"))
        field = "body.volume" if body["contract_id"] is not True else "body.contract_id"
        assert assert_problem(r, 422)["errors"][0]["field"] == field


def test_another_enterprise_cannot_deliver(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)  # E01's order
    body = assert_problem(period.deliver(order, by="E02"), 404, type_suffix="not-found")
    assert body["detail"] == f"no order {order['id']}"
    assert _order(period, order["id"])["status"] == "placed"


def test_a_delivery_before_the_order_is_refused(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    body = assert_problem(period.deliver(order, date(2027, 1, 3)), 422)
    assert body["errors"] == [
        {"field": "body.delivered_on", "message": "must not be before the order day (2027-01-04)"}
    ]


def test_accepting_twice_is_refused_and_issues_one_invoice(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    period.deliver(order)
    assert period.accept(order).status_code == 201
    body = assert_problem(period.accept(order), 409, type_suffix="order-state")
    assert body["detail"] == f"cannot accept order {order['id']}: it was accepted on 2027-01-04"
    assert _invoices(period)["totals"]["invoices"] == 1


def test_acceptance_needs_a_delivery(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    body = assert_problem(period.accept(order), 409, type_suffix="order-state")
    assert "nothing has been delivered yet" in body["detail"]


@pytest.mark.parametrize(
    ("accepted_on", "message"),
    [
        (date(2027, 1, 5), "must not be before the delivery day (2027-01-06)"),
        (date(2027, 1, 8), "must not be after today (2027-01-07)"),
    ],
)
def test_acceptance_dates_are_checked(period: Period, accepted_on: date, message: str) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    period.today(date(2027, 1, 7))
    period.deliver(order, date(2027, 1, 6))
    body = assert_problem(period.accept(order, accepted_on), 422, type_suffix="invalid-input")
    assert body["errors"] == [{"field": "body.accepted_on", "message": message}]
    assert _order(period, order["id"])["status"] == "delivered"
    assert _invoices(period)["items"] == []


def test_dates_before_the_agreement_start_are_refused(period: Period) -> None:
    period.today(MONDAY)
    order = period.place("H001", 7000)
    period.deliver(order)
    body = assert_problem(period.accept(order, date(2026, 12, 31)), 422)
    assert body["errors"][0]["message"] == "must not be before the agreement start (2027-01-01)"


def test_payments_above_the_invoice_are_refused(period: Period) -> None:
    invoice = period.buy("H001", 7000, ordered=MONDAY)
    assert period.pay(invoice, "1000.00").status_code == 201
    body = assert_problem(period.pay(invoice, "441.31"), 422, type_suffix="invalid-input")
    assert body["errors"] == [
        {
            "field": "body.amount",
            "message": f"441.31 yuan exceeds the 441.30 yuan still due on invoice {invoice['id']} "
            "(amount 1441.30, paid 1000.00)",
        }
    ]
    after = period.client.get(f"/api/v1/invoices/{invoice['id']}", headers=period.bureau).json()
    assert (after["paid_amount"], len(after["payments"])) == ("1000.00", 1)


@pytest.mark.parametrize(
    ("amount", "paid_on", "field", "message"),
    [
        ("0.001", None, "body.amount", "must have at most 2 decimal places (0.01 yuan)"),
        ("0", None, "body.amount", "must be a positive decimal, got '0'"),
        ("10.00", "2027-01-03", "body.paid_on", "must not be before the acceptance day (2027-01-04)"),
    ],
)  # fmt: skip
def test_bad_payments_are_refused(
    period: Period, amount: str, paid_on: str | None, field: str, message: str
) -> None:
    invoice = period.buy("H001", 7000, ordered=MONDAY)
    r = period.pay(invoice, amount, date.fromisoformat(paid_on) if paid_on else None)
    body = assert_problem(r, 422, type_suffix="invalid-input")
    assert body["errors"][0] == {"field": field, "message": message}


def test_only_the_institution_pays_its_invoice(period: Period) -> None:
    invoice = period.buy("H001", 7000, ordered=MONDAY)
    r = period.client.post(
        f"/api/v1/invoices/{invoice['id']}/payments",
        json={"amount": "1.00"},
        headers=period.who("H002"),
    )
    assert_problem(r, 404, type_suffix="not-found")


def test_every_step_is_in_the_audit_trail(period: Period) -> None:
    invoice = period.buy("H001", 7000, ordered=MONDAY)
    period.pay(invoice, "1441.30")
    r = period.client.get("/api/v1/audit", params={"round_id": ROUND}, headers=period.bureau)
    steps = [
        (e["entity_type"], e["action"], e["actor_id"])
        for e in r.json()["items"]
        if e["entity_type"] in ("order", "invoice")
    ]
    assert steps == [
        ("order", "place", "H001"),
        ("order", "deliver", "E01"),
        ("order", "accept", "H001"),
        ("invoice", "issue", "H001"),
        ("invoice", "pay", "H001"),
    ]
    pay = next(e for e in r.json()["items"] if e["action"] == "pay")
    assert (pay["before"]["paid_amount"], pay["after"]["paid_amount"]) == ("0.00", "1441.30")


# -- supply failures and the backup supplier ---------------------------------------------------


FRIDAY = date(2027, 1, 8)  # deadline: Wednesday 2027-01-13


def test_an_undelivered_order_past_its_deadline_is_a_recorded_failure(period: Period) -> None:
    period.today(FRIDAY)
    order = period.place("H001", 7000)
    period.today(date(2027, 1, 13))
    r = period.client.post("/api/v1/supply-failures:check", headers=period.who("H001"))
    assert r.json()["recorded"] == []  # delivering on the deadline is still on time
    period.today(date(2027, 1, 14))
    r = period.client.post("/api/v1/supply-failures:check", headers=period.who("H001"))
    (failure,) = r.json()["recorded"]
    assert (failure["order_id"], failure["enterprise_id"], failure["kind"]) == (
        order["id"],
        "E01",
        "not_delivered",
    )
    assert (failure["deadline"], failure["detected_on"], failure["region"]) == (
        "2027-01-13",
        "2027-01-14",
        "KM",
    )
    # recorded once
    r = period.client.get("/api/v1/supply-failures", headers=period.who("E01"))
    assert [f["id"] for f in r.json()["items"]] == [failure["id"]]
    assert _order(period, order["id"])["supply_failure"] is True


def test_simultaneous_checks_record_a_failure_once(period: Period) -> None:
    """Listing failures records the new ones first: four lists and checks at once of an order
    past its deadline each answer, and the failure is recorded once (PostgreSQL: the checks
    take turns on the order instead of each inserting its failure)."""
    period.today(FRIDAY)
    order = period.place("H001", 7000)
    period.today(date(2027, 1, 14))
    # lists (any role) and checks (the bureau or the institution) at once
    who = [period.bureau, period.who("H001"), period.who("E01"), period.bureau]
    asked = iter(range(4))

    def check(client: Any) -> Any:
        k = next(asked)
        if k % 2:
            return client.post("/api/v1/supply-failures:check", headers=who[k])
        return client.get("/api/v1/supply-failures", headers=who[k])

    responses = at_once(period.client.app, 4, check)
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    failures = period.client.get("/api/v1/supply-failures", headers=period.bureau).json()
    assert [(f["order_id"], f["kind"]) for f in failures["items"]] == [
        (order["id"], "not_delivered")
    ]
    recorded = [f for r in responses if "recorded" in r.json() for f in r.json()["recorded"]]
    assert len(recorded) <= 1  # a check reports only the failures it recorded itself
    events = period.client.get(
        "/api/v1/audit?entity_type=supply_failure", headers=period.bureau
    ).json()["items"]
    assert [e["action"] for e in events] == ["record"]


def _failed_and_taken_by_the_backup(period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order of H001 placed on a Friday, undelivered by its deadline, handed to the backup
    supplier on 2027-01-15: the order as placed and as taken."""
    period.today(FRIDAY)
    order = period.place("H001", 7000)
    period.today(date(2027, 1, 15))
    r = period.client.post(f"/api/v1/orders/{order['id']}/backup", headers=period.who("H001"))
    assert r.status_code == 200, r.text
    taken: dict[str, Any] = r.json()
    return order, taken


def test_the_backup_supplier_takes_a_failed_order_at_its_own_price(period: Period) -> None:
    order, taken = _failed_and_taken_by_the_backup(period)
    assert (taken["supplier_id"], taken["supplier_role"], taken["price"], taken["amount"]) == (
        "E02",
        "backup",
        "0.1200",
        "840.00",  # 7000 × 0.1200
    )
    # the winner may no longer deliver; the backup does, and is paid
    body = assert_problem(period.deliver(order, by="E01"), 409, type_suffix="order-state")
    assert "backup supplier E02" in body["detail"]
    assert period.deliver(order, by="E02").status_code == 200
    invoice = period.accept(order).json()
    assert (invoice["payee_id"], invoice["amount"]) == ("E02", "840.00")
    failures = period.client.get("/api/v1/supply-failures", headers=period.bureau).json()
    (failure,) = failures["items"]
    assert (failure["backup_enterprise_id"], failure["backup_activated_on"]) == (
        "E02",
        "2027-01-15",
    )


def test_no_backup_before_the_deadline_or_without_a_backup_supplier(period: Period) -> None:
    period.today(FRIDAY)
    aml = period.place("H001", 7000)
    met = period.place("H001", 1000, "MET-SR")
    period.today(date(2027, 1, 13))
    body = assert_problem(
        period.client.post(f"/api/v1/orders/{aml['id']}/backup", headers=period.bureau), 409
    )
    assert "E01 may deliver until 2027-01-13" in body["detail"]
    period.today(date(2027, 1, 14))
    body = assert_problem(
        period.client.post(f"/api/v1/orders/{met['id']}/backup", headers=period.bureau),
        409,
        type_suffix="no-backup-supplier",
    )
    assert "region KM has no backup supplier in group MET-SR" in body["detail"]
    assert _order(period, met["id"])["supplier_id"] == "E02"


def test_a_late_delivery_is_a_supply_failure_on_the_record(period: Period) -> None:
    period.today(FRIDAY)
    late = period.place("H001", 7000)
    on_time = period.place("H002", 1000)
    period.today(date(2027, 1, 12))
    period.place("H002", 500)  # due by 2027-01-15: still pending on the 14th
    period.today(date(2027, 1, 14))
    assert period.deliver(on_time, date(2027, 1, 13)).status_code == 200
    assert period.deliver(late, date(2027, 1, 14)).status_code == 200
    failures = period.client.get("/api/v1/supply-failures", headers=period.bureau).json()
    assert [(f["order_id"], f["kind"]) for f in failures["items"]] == [
        (late["id"], "late_delivery")
    ]
    r = period.client.get("/api/v1/enterprises/E01/supply-record", headers=period.who("E01"))
    assert r.status_code == 200, r.text
    record = r.json()
    assert (record["orders"], record["on_time"], record["late"], record["failed"]) == (3, 1, 1, 0)
    assert (record["pending"], record["supply_failures"]) == (1, 1)


def test_a_supply_record_counts_failed_orders_and_backup_deliveries(period: Period) -> None:
    period.today(FRIDAY)
    taken = period.place("H001", 7000)
    period.place("H002", 1000)
    period.today(date(2027, 1, 14))
    period.client.post(f"/api/v1/orders/{taken['id']}/backup", headers=period.bureau)
    period.deliver(taken, by="E02")
    e01 = period.client.get("/api/v1/enterprises/E01/supply-record", headers=period.bureau).json()
    assert (e01["orders"], e01["failed"], e01["supply_failures"]) == (2, 2, 2)
    e02 = period.client.get("/api/v1/enterprises/E02/supply-record", headers=period.bureau).json()
    assert (e02["orders"], e02["backup_deliveries"]) == (0, 1)
    assert_problem(
        period.client.get("/api/v1/enterprises/E01/supply-record", headers=period.who("E02")),
        404,
    )


def test_a_recorded_failure_cannot_be_undone_by_a_delivery_dated_in_time(
    period: Period,
) -> None:
    # SPEC §9: a failure to deliver within delivery_days is recorded and feeds credit
    # evaluation; a delivery entered afterwards and dated by the deadline would clear it from
    # the order and the supply record while the failure stays listed
    period.today(FRIDAY)
    order = period.place("H001", 7000)  # deadline 2027-01-13
    period.today(date(2027, 1, 15))
    r = period.client.post("/api/v1/supply-failures:check", headers=period.who("H001"))
    assert [f["order_id"] for f in r.json()["recorded"]] == [order["id"]]
    body = assert_problem(period.deliver(order, date(2027, 1, 13)), 422)
    assert body["errors"][0]["field"] == "body.delivered_on"
    assert "2027-01-13" in body["errors"][0]["message"]
    assert _order(period, order["id"])["status"] == "placed"
    # dated after the deadline, it is a late delivery
    assert period.deliver(order, date(2027, 1, 14)).status_code == 200
    assert _order(period, order["id"])["supply_failure"] is True
    failures = period.client.get("/api/v1/supply-failures", headers=period.bureau).json()
    assert [(f["order_id"], f["kind"]) for f in failures["items"]] == [
        (order["id"], "late_delivery")
    ]
    record = period.client.get("/api/v1/enterprises/E01/supply-record", headers=period.bureau)
    assert (record.json()["late"], record.json()["supply_failures"]) == (1, 1)


def test_the_backup_supplier_delivers_no_earlier_than_its_activation(period: Period) -> None:
    order, _ = _failed_and_taken_by_the_backup(period)
    body = assert_problem(period.deliver(order, date(2027, 1, 14), by="E02"), 422)
    assert body["errors"][0]["field"] == "body.delivered_on"
    assert "2027-01-15" in body["errors"][0]["message"]
    assert period.deliver(order, date(2027, 1, 15), by="E02").status_code == 200
