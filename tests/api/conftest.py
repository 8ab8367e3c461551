"""API fixtures: a TestClient on a fresh migrated database (per backend), an injected clock,
and `api`, a small helper that registers actors and rounds through the HTTP API."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from app.auth.service import issue_token
from app.clock import FixedClock
from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import TestDatabase

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
DEMAND_OPENS = T0
DEMAND_CLOSES = T0 + timedelta(days=30)
BIDDING_OPENS = DEMAND_CLOSES + timedelta(days=10)
BIDDING_CLOSES = BIDDING_OPENS + timedelta(days=14)


def group(group_id: str = "AML-ORAL", *generic_names: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": group_id,
        "generic_names": list(generic_names or ["amlodipine"]),
        "form_family": "oral_regular",
        "representative": {"strength": "5", "strength_unit": "mg", "dosage_form": "tablet"},
        "ceiling": "0.5000",
        "pre_vbp_unit_price": "0.9000",
        **extra,
    }


def round_body(round_id: str = "YN-2027-01", **extra: Any) -> dict[str, Any]:
    return {
        "id": round_id,
        "name": "Yunnan 2027 round 1",
        "agreement_start": "2027-01-01",
        "rules": {"profile": "batch7", "overrides": {}},
        "demand_opens_at": DEMAND_OPENS.isoformat(),
        "demand_closes_at": DEMAND_CLOSES.isoformat(),
        "bidding_opens_at": BIDDING_OPENS.isoformat(),
        "bidding_closes_at": BIDDING_CLOSES.isoformat(),
        "groups": [group()],
        **extra,
    }


def assert_problem(response: Any, status: int, *, type_suffix: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if type_suffix is not None:
        assert body["type"] == f"urn:vbp:problem:{type_suffix}", body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def at_once(app: Any, times: int, send: Callable[[TestClient], Any]) -> list[Any]:
    """`send(client)` from `times` threads at once, each with a TestClient (and so a database
    connection) of its own, released together: simultaneous requests race on PostgreSQL
    (READ COMMITTED); on SQLite they take turns (one writer at a time). Returns the results
    in thread order."""
    ready = threading.Barrier(times)

    def run(_: int) -> Any:
        with TestClient(app) as client:
            ready.wait(timeout=30)
            return send(client)

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(run, range(times)))


def assert_created_once(responses: list[Any], detail: str) -> None:
    """Simultaneous creations of one thing (`at_once`): one 201, every other a 409
    already-exists whose detail holds `detail`; never a 500."""
    assert sorted(r.status_code for r in responses) == [201] + [409] * (len(responses) - 1), [
        r.text for r in responses
    ]
    for r in responses:
        if r.status_code == 409:
            problem = assert_problem(r, 409, type_suffix="already-exists")
            assert detail in problem["detail"]


@dataclass
class Api:
    """Drives the service as its three kinds of actor."""

    client: TestClient
    bureau_token: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def bureau(self) -> dict[str, str]:
        return bearer(self.bureau_token)

    def actor(self, actor_id: str) -> dict[str, str]:
        return bearer(self.tokens[actor_id])

    def institution(self, institution_id: str = "H001", region: str = "KM") -> dict[str, str]:
        r = self.client.post(
            "/api/v1/institutions",
            json={"id": institution_id, "name": f"Hospital {institution_id}", "region": region},
            headers=self.bureau,
        )
        assert r.status_code == 201, r.text
        return self._token("institutions", institution_id)

    def enterprise(
        self, enterprise_id: str = "E01", credit_level: str | None = None
    ) -> dict[str, str]:
        r = self.client.post(
            "/api/v1/enterprises",
            json={
                "id": enterprise_id,
                "name": f"Pharma {enterprise_id}",
                "credit_level": credit_level,
            },
            headers=self.bureau,
        )
        assert r.status_code == 201, r.text
        return self._token("enterprises", enterprise_id)

    def _token(self, kind: str, actor_id: str) -> dict[str, str]:
        r = self.client.post(
            f"/api/v1/{kind}/{actor_id}/tokens", json={"name": "desk"}, headers=self.bureau
        )
        assert r.status_code == 201, r.text
        self.tokens[actor_id] = r.json()["token"]
        return self.actor(actor_id)

    def round(self, round_id: str = "YN-2027-01", **extra: Any) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/rounds", json=round_body(round_id, **extra), headers=self.bureau
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def move(self, round_id: str, to: str, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1/rounds/{round_id}/transitions",
            json={"to": to},
            headers={**self.bureau, **headers},
        )

    def open_demand(self, round_id: str = "YN-2027-01", **extra: Any) -> dict[str, Any]:
        self.round(round_id, **extra)
        r = self.move(round_id, "demand_open")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def report(
        self,
        institution: dict[str, str],
        group_id: str,
        reported: int,
        usage: int,
        round_id: str = "YN-2027-01",
        **extra: Any,
    ) -> Any:
        return self.client.put(
            f"/api/v1/rounds/{round_id}/demands/{group_id}",
            json={"reported": reported, "last_year_usage": usage, **extra},
            headers=institution,
        )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(hours=1))


def make_app(database: TestDatabase, clock: FixedClock, **settings: Any) -> FastAPI:
    return create_app(
        Settings(database_url=database.url, **settings), clock=clock, engine=database.engine
    )


@pytest.fixture
def app(database: TestDatabase, clock: FixedClock) -> FastAPI:
    return make_app(database, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def create_bureau_token(database: TestDatabase, name: str = "bureau desk") -> str:
    engine = database.engine or make_engine(database.url)
    try:
        with Session(engine) as session:
            _row, plain = issue_token(session, role=Role.bureau, name=name, now=T0)
            session.commit()
    finally:
        if database.engine is None:
            engine.dispose()
    return plain


@pytest.fixture
def api(client: TestClient, database: TestDatabase) -> Api:
    return Api(client=client, bureau_token=create_bureau_token(database))
