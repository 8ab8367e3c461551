"""Shared set-up for the agreement-period tests (no tests here).

`period` builds, through the HTTP API, the example round of examples/small-round.json
(agreement start 2027-01-01): imported with its bids, awarded (inline), published — which
creates the contracts — and moved to in_agreement, which disburses the prepayments. The
contracts (hand-checked in test_contracts.py):

    H001 AML-ORAL E01  84000 × 0.2059 = 17295.60  preferred  KM  backup E02 @ 0.1200
    H001 MET-SR   E02  30000 × 0.1500 =  4500.00  primary    KM  no backup (one winner)
    H002 AML-ORAL E01  44800 × 0.2059 =  9224.32  primary    KM  backup E02 @ 0.1200
    H003 AML-ORAL E02  28000 × 0.1200 =  3360.00  primary    QJ  backup E01 @ 0.2059
    H003 MET-SR   E02  10000 × 0.1500 =  1500.00  primary    QJ  no backup
    H004 AML-ORAL E02  63000 × 0.1200 =  7560.00  primary    QJ  backup E01 @ 0.2059
    H005 AML-ORAL E02  21000 × 0.1200 =  2520.00  primary    DL  backup E01 @ 0.2059

The clock is China Standard Time 10:00 on the day a test sets with `period.today(...)`.

Building the world through the API takes most of a second, so each worker builds it once per
backend and state and keeps a copy of every table's rows (and the plain tokens); later tests
load those rows into their fresh database. The world is the same either way.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Integer, Table, delete, insert, select, text

from app.clock import FixedClock
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from app.tables import metadata
from tests.api.conftest import Api, create_bureau_token
from tests.conftest import TestDatabase

T = TypeVar("T")
ROUND = "YN-DEMO-2027"
DOCUMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "small-round.json").read_text("utf-8")
)
AGREEMENT_START = date(2027, 1, 1)
CST = timezone(timedelta(hours=8))
INSTITUTIONS = ("H001", "H002", "H003", "H004", "H005")
ENTERPRISES = ("E01", "E02", "E03")


def at(day: date, hour: int = 10) -> datetime:
    """`day` at `hour` o'clock China Standard Time, as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=CST).astimezone(UTC)


@dataclass
class Period:
    api: Api
    clock: FixedClock
    round_id: str = ROUND

    @property
    def client(self) -> TestClient:
        return self.api.client

    @property
    def bureau(self) -> dict[str, str]:
        return self.api.bureau

    def who(self, actor: str) -> dict[str, str]:
        return self.api.bureau if actor == "bureau" else self.api.actor(actor)

    def today(self, day: date) -> None:
        self.clock.set(at(day))

    def contracts(self, actor: str = "bureau", **params: Any) -> list[dict[str, Any]]:
        r = self.client.get("/api/v1/contracts", params=params, headers=self.who(actor))
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    def contract(self, institution: str, group: str = "AML-ORAL", year: int = 1) -> dict[str, Any]:
        (found,) = [
            c
            for c in self.contracts(round_id=self.round_id, year=year)
            if c["institution_id"] == institution and c["group_id"] == group
        ]
        return found

    def order(self, institution: str, volume: int, group: str = "AML-ORAL") -> Any:
        contract = self.contract(institution, group)
        return self.client.post(
            "/api/v1/orders",
            json={"contract_id": contract["id"], "volume": volume},
            headers=self.who(institution),
        )

    def place(self, institution: str, volume: int, group: str = "AML-ORAL") -> dict[str, Any]:
        r = self.order(institution, volume, group)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def deliver(self, order: dict[str, Any], on: date | None = None, by: str | None = None) -> Any:
        body = {} if on is None else {"delivered_on": on.isoformat()}
        return self.client.post(
            f"/api/v1/orders/{order['id']}/delivery",
            json=body,
            headers=self.who(by or order["supplier_id"]),
        )

    def accept(self, order: dict[str, Any], on: date | None = None, by: str | None = None) -> Any:
        body = {} if on is None else {"accepted_on": on.isoformat()}
        return self.client.post(
            f"/api/v1/orders/{order['id']}/acceptance",
            json=body,
            headers=self.who(by or order["institution_id"]),
        )

    def pay(self, invoice: dict[str, Any], amount: str, on: date | None = None) -> Any:
        body: dict[str, Any] = {"amount": amount}
        if on is not None:
            body["paid_on"] = on.isoformat()
        return self.client.post(
            f"/api/v1/invoices/{invoice['id']}/payments",
            json=body,
            headers=self.who(invoice["institution_id"]),
        )

    def buy(
        self,
        institution: str,
        volume: int,
        *,
        ordered: date,
        delivered: date | None = None,
        accepted: date | None = None,
        group: str = "AML-ORAL",
    ) -> dict[str, Any]:
        """Order on `ordered`, deliver and accept (by default the same day); the invoice."""
        delivered = delivered or ordered
        accepted = accepted or delivered
        self.today(ordered)
        order = self.place(institution, volume, group)
        self.today(accepted)
        r = self.deliver(order, delivered)
        assert r.status_code == 200, r.text
        r = self.accept(order, accepted)
        assert r.status_code == 201, r.text
        invoice: dict[str, Any] = r.json()
        return invoice

    def move(self, to: str) -> None:
        r = self.api.move(self.round_id, to)
        assert r.status_code == 200, r.text


def make_app(database: TestDatabase, clock: FixedClock) -> FastAPI:
    return create_app(
        # award jobs inline: deterministic, no worker process
        Settings(database_url=database.url, award_worker="inline"),
        clock=clock,
        engine=database.engine,
    )


def build_period_via_api(api: Api, clock: FixedClock, *, state: str = "in_agreement") -> Period:
    """The example round awarded and moved on to `state` (awarded, published, in_agreement)."""
    clock.set(at(date(2026, 12, 10)))
    r = api.client.post("/api/v1/rounds:import", json=DOCUMENT, headers=api.bureau)
    assert r.status_code == 201, r.text
    for institution in INSTITUTIONS:
        api._token("institutions", institution)
    for enterprise in ENTERPRISES:
        api._token("enterprises", enterprise)
    r = api.client.post(f"/api/v1/rounds/{ROUND}/award", json={}, headers=api.bureau)
    assert r.status_code == 202, r.text
    job = api.client.get(f"/api/v1/jobs/{r.json()['id']}", headers=api.bureau).json()
    assert job["status"] == "succeeded", job
    period = Period(api=api, clock=clock)
    for step in ("published", "in_agreement"):
        if state == "awarded" or (state == "published" and step == "in_agreement"):
            break
        period.move(step)
    return period


@pytest.fixture
def app(database: TestDatabase, clock: FixedClock) -> FastAPI:
    return make_app(database, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, database: TestDatabase) -> Api:
    return Api(client=client, bureau_token=create_bureau_token(database))


# (backend, world) -> (rows of every table, plain tokens, what the builder returned)
_SNAPSHOTS: dict[
    tuple[str, str], tuple[list[tuple[Table, list[dict[str, Any]]]], dict[str, str], Any]
] = {}


def cached_world(name: str, api: Api, database: TestDatabase, build: Callable[[], T]) -> T:
    """`build()` through the API the first time in this worker; afterwards, the rows it left
    loaded into the test's fresh database, and what it returned."""
    key = (database.backend, name)
    engine = database.engine or make_engine(database.url)
    try:
        if key not in _SNAPSHOTS:
            result = build()
            with engine.connect() as conn:
                rows = [
                    (table, [dict(r) for r in conn.execute(select(table)).mappings()])
                    for table in metadata.sorted_tables
                ]
            _SNAPSHOTS[key] = (rows, {**api.tokens, "bureau": api.bureau_token}, result)
            return result
        rows, tokens, result = _SNAPSHOTS[key]
        with engine.begin() as conn:
            # the `api` fixture's own bureau token gives way to the snapshot's
            conn.execute(delete(metadata.tables["api_tokens"]))
            for table, table_rows in rows:
                if not table_rows:
                    continue
                conn.execute(insert(table), table_rows)
                if (
                    database.backend == "postgresql"
                    and "id" in table.c
                    and isinstance(table.c.id.type, Integer)
                ):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f'(SELECT max(id) FROM "{table.name}"))'
                        )
                    )
    finally:
        if database.engine is None:
            engine.dispose()
    api.bureau_token = tokens["bureau"]
    api.tokens.update({k: v for k, v in tokens.items() if k != "bureau"})
    return result


def build_period(
    api: Api, clock: FixedClock, database: TestDatabase, *, state: str = "in_agreement"
) -> Period:
    """The world in `state` (awarded, published, in_agreement)."""
    cached_world(
        f"period-{state}", api, database, lambda: build_period_via_api(api, clock, state=state)
    )
    return Period(api=api, clock=clock)


@pytest.fixture
def period(api: Api, clock: FixedClock, database: TestDatabase) -> Period:
    return build_period(api, clock, database)
