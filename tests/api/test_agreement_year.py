# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""A whole agreement year, twice over:

- driven through the API: a seeded process orders every month (with seasonality), delivers
  (some late, some handed to the backup supplier), accepts and pays (some late) while the
  injected clock runs through the year; then the ledger identities, the offsets, the due dates
  and the days overdue are checked against rules written out independently here;
- as the API job (solver.year over the stored contracts): 202, the report, its identities.
"""

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from app.clock import FixedClock
from tests.api.conftest import Api, assert_problem
from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    ROUND,
    Period,
    api,
    app,
    build_period,
    cached_world,
    client,
    period,
)
from tests.conftest import TestDatabase

SEASON = (1.15, 1.05, 1.00, 0.95, 0.90, 0.90, 0.92, 0.95, 1.00, 1.03, 1.05, 1.10)
YEAR_END = date(2027, 12, 31)
CLOSING_DAY = date(2028, 3, 15)
CENT = Decimal("0.01")


# (institution, group) -> (winner's price, backup's price)
PRICES = {
    ("H001", "AML-ORAL"): (Decimal("0.2059"), Decimal("0.1200")),
    ("H001", "MET-SR"): (Decimal("0.1500"), None),
    ("H003", "AML-ORAL"): (Decimal("0.1200"), Decimal("0.2059")),
    ("H005", "AML-ORAL"): (Decimal("0.1200"), Decimal("0.2059")),
}


def price_of(p: "Plan") -> Decimal:
    winner, backup = PRICES[(p.institution, p.group)]
    return backup if p.backup and backup is not None else winner


def last_day_of_next_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def business_day_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@dataclass
class Plan:
    """What the seeded process decided for one order."""

    key: int
    institution: str
    group: str
    volume: int
    ordered: date
    backup: bool = False
    delivered: date = field(default=date.min)
    accepted: date = field(default=date.min)
    paid: date | None = None


def make_plans(seed: int) -> list[Plan]:
    rng = random.Random(seed)
    contracts = [("H001", "AML-ORAL", 84000), ("H001", "MET-SR", 30000), ("H003", "AML-ORAL", 28000), ("H005", "AML-ORAL", 21000)]  # fmt: skip
    plans: list[Plan] = []
    for institution, group, agreed in contracts:
        for month in range(1, 13):
            volume = round(agreed * rng.uniform(0.92, 1.08) * SEASON[month - 1] / sum(SEASON))
            first = date(2027, month, 1)
            ordered = first + timedelta(days=rng.randint(0, 20))
            while ordered.weekday() >= 5:
                ordered += timedelta(days=1)
            plan = Plan(len(plans), institution, group, volume, ordered)
            deadline = business_day_after(ordered, 3)
            if rng.random() < 0.15 and group == "AML-ORAL":  # the winner fails; the backup delivers
                plan.backup = True
                plan.delivered = deadline + timedelta(days=2)
            elif rng.random() < 0.10:  # late, by the winner
                plan.delivered = deadline + timedelta(days=rng.randint(1, 5))
            else:
                plan.delivered = business_day_after(ordered, rng.randint(1, 3))
            plan.accepted = plan.delivered + timedelta(days=rng.randint(0, 3))
            due = last_day_of_next_month(plan.accepted)
            draw = rng.random()
            if draw < 0.75:
                plan.paid = plan.accepted + timedelta(
                    days=rng.randint(1, (due - plan.accepted).days)
                )
            elif draw < 0.95:
                plan.paid = due + timedelta(days=rng.randint(1, 40))
            plans.append(plan)
    return plans


def run_year(period: Period, plans: list[Plan]) -> dict[int, dict[str, Any]]:
    """Replay the plans through the API in date order; returns each plan's invoice."""
    events: list[tuple[date, int, str, Plan]] = []
    for p in plans:
        events.append((p.ordered, 0, "order", p))
        if p.backup:
            events.append((business_day_after(p.ordered, 3) + timedelta(days=1), 1, "backup", p))
        events.append((p.accepted, 2, "deliver", p))  # reported on acceptance day, dated earlier
        events.append((p.accepted, 3, "accept", p))
        if p.paid is not None:
            events.append((p.paid, 4, "pay", p))
    orders: dict[int, dict[str, Any]] = {}
    invoices: dict[int, dict[str, Any]] = {}
    for day, _, kind, p in sorted(events, key=lambda e: (e[0], e[1], e[3].key)):
        period.today(day)
        if kind == "order":
            orders[p.key] = period.place(p.institution, p.volume, p.group)
            continue
        order = orders[p.key]
        if kind == "backup":
            r = period.client.post(
                f"/api/v1/orders/{order['id']}/backup", headers=period.who(p.institution)
            )
            assert r.status_code == 200, r.text
            orders[p.key] = r.json()
        elif kind == "deliver":
            r = period.deliver(order, p.delivered)
            assert r.status_code == 200, r.text
        elif kind == "accept":
            r = period.accept(order, p.accepted)
            assert r.status_code == 201, r.text
            invoices[p.key] = r.json()
        else:
            r = period.pay(invoices[p.key], invoices[p.key]["amount"], p.paid)
            assert r.status_code == 201, r.text
    period.today(CLOSING_DAY)
    return invoices


@pytest.fixture
def year(
    api: Api, clock: FixedClock, database: TestDatabase
) -> tuple[Period, list[Plan], dict[int, dict[str, Any]]]:
    """The year run once per worker and backend, then loaded (see cached_world)."""
    plans = make_plans(seed=2027)

    def build() -> dict[int, dict[str, Any]]:
        return run_year(build_period(api, clock, database), plans)

    invoices = cached_world("year-2027", api, database, build)
    period = Period(api=api, clock=clock)
    period.today(CLOSING_DAY)
    return period, plans, invoices


def test_a_simulated_year_keeps_the_ledger_identities(
    year: tuple[Period, list[Plan], dict[int, dict[str, Any]]],
) -> None:
    period, plans, _ = year
    ledger = period.client.get(
        f"/api/v1/rounds/{ROUND}/prepayment-ledger", headers=period.bureau
    ).json()
    fund = ledger["fund"]
    for entry in [*ledger["institutions"], fund]:
        previous = Decimal(0)
        for m in entry["months"]:
            opening, disbursed = Decimal(m["opening"]), Decimal(m["disbursed"])
            offset, closing = Decimal(m["offset"]), Decimal(m["closing"])
            assert opening + disbursed - offset == closing, (entry.get("institution_id"), m)
            assert opening == previous and closing >= 0
            previous = closing
        assert entry["months"][-1]["closing"] == "0.00"
    # the fund's rows are the sums of the institutions' rows
    for k, m in enumerate(fund["months"]):
        for column in ("opening", "disbursed", "accepted", "offset", "closing"):
            assert Decimal(m[column]) == sum(
                Decimal(i["months"][k][column]) for i in ledger["institutions"]
            )
    assert fund["offset_total"] == fund["prepayment_total"] == "13787.98"
    assert sum(p.volume for p in plans) > 0


def test_a_simulated_years_offsets_follow_the_rule(
    year: tuple[Period, list[Plan], dict[int, dict[str, Any]]],
) -> None:
    """SPEC §9 written out again: month m offsets min(remaining, P × accepted_m / A), rounded;
    the last month offsets the rest."""
    period, _, invoices = year
    ledger = period.client.get(
        f"/api/v1/rounds/{ROUND}/prepayment-ledger", headers=period.bureau
    ).json()
    for entry in ledger["institutions"]:
        prepayment = Decimal(entry["prepayment"])
        annual = Decimal(entry["annual_contract_amount"])
        accepted = [Decimal(0)] * 12
        for inv in invoices.values():
            day = date.fromisoformat(inv["accepted_on"])
            if inv["institution_id"] == entry["institution_id"] and day <= YEAR_END:
                accepted[day.month - 1] += Decimal(inv["amount"])
        remaining = prepayment
        for month, row in enumerate(entry["months"], start=1):
            share = (prepayment * accepted[month - 1] / annual).quantize(CENT, ROUND_HALF_UP)
            offset = remaining if month == 12 else min(remaining, share)
            assert (Decimal(row["accepted"]), Decimal(row["offset"])) == (
                accepted[month - 1],
                offset,
            ), (entry["institution_id"], month)
            remaining -= offset


def test_a_simulated_years_invoices_fall_due_and_overdue_by_the_rule(
    year: tuple[Period, list[Plan], dict[int, dict[str, Any]]],
) -> None:
    period, plans, invoices = year
    listed = period.client.get("/api/v1/invoices", headers=period.bureau).json()
    assert listed["totals"]["invoices"] == len(plans) == len(invoices)
    by_id = {i["id"]: i for i in listed["items"] + []}
    page = listed
    while page["next_cursor"]:
        page = period.client.get(
            "/api/v1/invoices", params={"cursor": page["next_cursor"]}, headers=period.bureau
        ).json()
        by_id |= {i["id"]: i for i in page["items"]}
    overdue = 0
    for p in plans:
        inv = by_id[invoices[p.key]["id"]]
        due = last_day_of_next_month(p.accepted)
        assert date.fromisoformat(inv["due_on"]) == due
        end = CLOSING_DAY if p.paid is None else min(p.paid, CLOSING_DAY)
        assert inv["days_overdue"] == max(0, (end - due).days), inv
        assert inv["overdue"] is (p.paid is None and due < CLOSING_DAY)
        overdue += inv["overdue"]
        assert Decimal(inv["amount"]) == (p.volume * price_of(p)).quantize(CENT, ROUND_HALF_UP)
    assert listed["totals"]["overdue_invoices"] == overdue


def test_a_simulated_years_failures_and_fulfilment(
    year: tuple[Period, list[Plan], dict[int, dict[str, Any]]],
) -> None:
    period, plans, _ = year
    failures = period.client.get(
        "/api/v1/supply-failures", params={"limit": 1000}, headers=period.bureau
    ).json()["items"]
    failed = [p for p in plans if p.delivered > business_day_after(p.ordered, 3)]
    assert len(failures) == len(failed)
    assert sum(f["backup_enterprise_id"] is not None for f in failures) == sum(
        p.backup for p in plans
    )
    report = period.client.get(f"/api/v1/rounds/{ROUND}/fulfilment", headers=period.bureau).json()
    assert report["total"]["purchased_volume"] == sum(p.volume for p in plans)
    assert report["total"]["from_backup_volume"] == sum(p.volume for p in plans if p.backup)


# -- the API job ------------------------------------------------------------------------------

SIMULATE = f"/api/v1/rounds/{ROUND}/agreement-year:simulate"


def _simulate(period: Period, **body: Any) -> dict[str, Any]:
    r = period.client.post(SIMULATE, json=body, headers=period.bureau)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/api/v1/agreement-year-jobs/{r.json()['id']}"
    job = period.client.get(r.headers["Location"], headers=period.bureau)
    assert job.status_code == 200, job.text
    done: dict[str, Any] = job.json()
    assert done["status"] == "succeeded", done
    return done


def test_the_year_simulation_job_reports_month_by_month(period: Period) -> None:
    job = _simulate(period, seed=7, failure_probability=0.2)
    report = job["report"]
    assert report["round"] == {"id": ROUND, "year": 1}
    assert [m["month"] for m in report["months"]][:2] == ["2027-01", "2027-02"]
    assert len(report["months"]) == 12
    for m in report["months"]:
        assert Decimal(m["prepayment_opening"]) + Decimal(m["prepayment_disbursed"]) - Decimal(
            m["prepayment_offset"]
        ) == Decimal(m["prepayment_closing"])
        assert Decimal(m["fund_net_cash_out"]) == Decimal(m["prepayment_disbursed"]) - Decimal(
            m["prepayment_offset"]
        )
    assert report["months"][-1]["prepayment_closing"] == "0.00"
    assert report["summary"]["prepayment_total"] == "13787.98"
    assert report["summary"]["supply_failures"] > 0
    # the simulation changes nothing of the round
    assert period.client.get("/api/v1/orders", headers=period.bureau).json()["items"] == []


def test_the_year_simulation_is_seeded(period: Period) -> None:
    a, b = _simulate(period, seed=3), _simulate(period, seed=3)
    assert a["report"] == b["report"]
    assert _simulate(period, seed=4)["report"] != a["report"]


def test_the_year_simulation_needs_published_results(
    api: Api, clock: Any, database: TestDatabase
) -> None:
    p = build_period(api, clock, database, state="awarded")
    body = assert_problem(
        p.client.post(SIMULATE, json={}, headers=p.bureau), 409, type_suffix="wrong-state"
    )
    assert "awarded" in body["detail"]


def test_year_simulation_settings_are_checked(period: Period) -> None:
    r = period.client.post(SIMULATE, json={"failure_probability": 1.5}, headers=period.bureau)
    body = assert_problem(r, 422, type_suffix="invalid-input")
    assert body["errors"][0]["field"] == "body.failure_probability"
    # a JSON true is not a number, and a year is no larger than a database integer
    r = period.client.post(
        SIMULATE,
        json={"months": True, "failure_probability": True, "year": 2**64},
        headers=period.bureau,
    )
    body = assert_problem(r, 422, type_suffix="invalid-input")
    assert {e["field"] for e in body["errors"]} == {
        "body.months",
        "body.failure_probability",
        "body.year",
    }
    assert_problem(period.client.get("/api/v1/agreement-year-jobs/999", headers=period.bureau), 404)


def test_a_year_simulation_runs_in_a_worker_process_not_in_the_request(
    period: Period, database: TestDatabase, clock: FixedClock
) -> None:
    """The default mode: the request only queues the job (its admission slot and the API
    process are free at once); the runner reads the contracts on its thread and the year is
    computed in a spawned worker process; the app's lifespan shuts it down."""
    import time

    from fastapi.testclient import TestClient

    from tests.api.test_bids_support import make_app

    inline = _simulate(period, seed=3)["report"]
    with TestClient(make_app(database, clock, worker="process")) as client:
        r = client.post(SIMULATE, json={"seed": 3}, headers=period.bureau)
        assert r.status_code == 202, r.text
        for _ in range(600):
            job = client.get(r.headers["Location"], headers=period.bureau).json()
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.05)
        assert job["status"] == "succeeded", job
        runner = client.app.state.year_runner  # type: ignore[attr-defined]
        assert runner._pool.executor is not None  # it ran in the worker process
    assert job["report"] == inline


def test_a_year_simulation_left_behind_fails_when_read(period: Period, database: Any) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.agreement_year.models import AgreementYearJob, JobStatus

    with Session(period.client.app.state.engine) as session:  # type: ignore[attr-defined]
        job = AgreementYearJob(
            round_id=ROUND,
            year=1,
            status=JobStatus.running,
            settings={"seed": 1},
            created_by="a process that stopped",
            created_at=datetime(2027, 1, 5, tzinfo=UTC),
        )
        session.add(job)
        session.commit()
        job_id = job.id
    r = period.client.get(f"/api/v1/agreement-year-jobs/{job_id}", headers=period.bureau)
    assert r.json()["status"] == "failed" and "interrupted" in r.json()["error"], r.json()
    assert "Retry-After" not in r.headers
