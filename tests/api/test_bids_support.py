"""Shared set-up for the bid, award, outcome, sealed-bid and exchange tests (no tests here).

`world` builds a round in `bidding_open` through the HTTP API: three institutions in two
regions, three enterprises, two groups, demand reported and locked, the clock inside the
bidding window. Apps built here run award jobs inline (deterministic), unless a test asks for
the worker process.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.clock import FixedClock
from app.main import create_app
from app.rounds.lifecycle import RoundState
from app.settings import Settings
from tests.api.conftest import (
    BIDDING_CLOSES,
    BIDDING_OPENS,
    DEMAND_CLOSES,
    Api,
    create_bureau_token,
    group,
)
from tests.conftest import TestDatabase

ROUND = "YN-2027-01"
IN_BIDDING = BIDDING_OPENS + timedelta(hours=1)
AFTER_BIDDING = BIDDING_CLOSES + timedelta(hours=1)


class WorkerSettings(Settings):
    """Settings with the award worker mode (`award_worker`, VBP_AWARD_WORKER)."""

    award_worker: str = "inline"


def make_app(database: TestDatabase, clock: FixedClock, *, worker: str = "inline") -> FastAPI:
    return create_app(
        WorkerSettings(database_url=database.url, award_worker=worker),
        clock=clock,
        engine=database.engine,
    )


def met_group() -> dict[str, Any]:
    return group(
        "MET-SR",
        "metformin",
        form_family="oral_sustained",
        representative={
            "strength": "500",
            "strength_unit": "mg",
            "dosage_form": "sustained_release_tablet",
        },
        ceiling="0.6000",
        pre_vbp_unit_price="1.2000",
    )


def product(
    strength: str = "10", units: int = 28, quality: str = "gqce", **extra: Any
) -> dict[str, Any]:
    return {
        "strength": strength,
        "strength_unit": "mg",
        "units_per_pack": units,
        "dosage_form": "tablet",
        "quality": quality,
        **extra,
    }


def met_product(**extra: Any) -> dict[str, Any]:
    return product("500", 30, dosage_form="sustained_release_tablet", **extra)


def bid_body(
    price: str = "9.80",
    group_id: str = "AML-ORAL",
    *,
    capacity: int = 5_000_000,
    accept_revival: bool = False,
    **product_fields: Any,
) -> dict[str, Any]:
    return {
        "group": group_id,
        "product": met_product() if group_id == "MET-SR" else product(**product_fields),
        "pack_price": price,
        "capacity": capacity,
        "accept_revival": accept_revival,
    }


@dataclass
class World:
    api: Api
    clock: FixedClock
    round_id: str = ROUND

    @property
    def client(self) -> TestClient:
        return self.api.client

    def bid(
        self, enterprise: str, price: str = "9.80", group_id: str = "AML-ORAL", **kw: Any
    ) -> Any:
        return self.client.post(
            f"/api/v1/rounds/{self.round_id}/bids",
            json=bid_body(price, group_id, **kw),
            headers=self.api.actor(enterprise),
        )

    def open_bids(self) -> None:
        self.clock.set(AFTER_BIDDING)
        r = self.api.move(self.round_id, "bids_opened")
        assert r.status_code == 200, r.text

    def award(self, **body: Any) -> dict[str, Any]:
        r = self.client.post(
            f"/api/v1/rounds/{self.round_id}/award", json=body, headers=self.api.bureau
        )
        assert r.status_code == 202, r.text
        return poll_job(self.client, self.api.bureau, r.json()["id"])

    def publish(self) -> None:
        r = self.api.move(self.round_id, "published")
        assert r.status_code == 200, r.text

    def outcome(self, who: str = "bureau") -> Any:
        headers = self.api.bureau if who == "bureau" else self.api.actor(who)
        return self.client.get(f"/api/v1/rounds/{self.round_id}/outcome", headers=headers)


def poll_job(
    client: TestClient, headers: dict[str, str], job_id: int, tries: int = 600
) -> dict[str, Any]:
    """Poll a job until it ends (a bounded loop; inline jobs have ended before the 202)."""
    import time

    for _ in range(tries):
        r = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def bid_all(w: "World") -> None:
    for e, price, strength in (("E01", "9.80", "10"), ("E02", "3.36", "5"), ("E03", "3.50", "5")):
        r = w.bid(e, price, strength=strength)
        assert r.status_code == 201, r.text
    assert w.bid("E02", "4.50", "MET-SR").status_code == 201


def build_world(
    api: Api,
    clock: FixedClock,
    *,
    credit: dict[str, str] | None = None,
    demands: bool = True,
) -> World:
    """A round in bidding_open with demand locked (see the module docstring). Built through
    the services in one transaction (the HTTP routes of these steps have their own tests), so
    that a world costs milliseconds."""
    from sqlmodel import Session

    from app.actors import service as actors
    from app.actors.models import CreditLevel
    from app.actors.schemas import EnterpriseCreate, InstitutionCreate
    from app.auth.models import Role
    from app.auth.service import Principal, issue_token
    from app.demand import service as demand
    from app.demand.schemas import DemandFields
    from app.rounds import service as rounds
    from app.rounds.schemas import RoundCreate
    from tests.api.conftest import T0, round_body

    credit = credit or {}
    bureau = Principal(role=Role.bureau, actor_id=None, token_id=0, token_name="bureau desk")
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine, expire_on_commit=False) as session:
        for iid, region in (("H001", "KM"), ("H002", "KM"), ("H003", "QJ")):
            actors.register_institution(
                session,
                data=InstitutionCreate(id=iid, name=f"Hospital {iid}", region=region),
                actor=bureau,
                now=T0,
            )
            _row, api.tokens[iid] = issue_token(
                session, role=Role.institution, name="desk", now=T0, institution_id=iid
            )
        for eid in ("E01", "E02", "E03"):
            level = credit.get(eid)
            actors.register_enterprise(
                session,
                data=EnterpriseCreate(
                    id=eid,
                    name=f"Pharma {eid}",
                    credit_level=None if level is None else CreditLevel(level),
                ),
                actor=bureau,
                now=T0,
            )
            _row, api.tokens[eid] = issue_token(
                session, role=Role.enterprise, name="desk", now=T0, enterprise_id=eid
            )

        def move(to: RoundState, now: Any) -> None:
            rounds.transition(
                session, round_id=ROUND, to=to, reason=None, if_match=None, actor=bureau, now=now
            )

        rounds.create_round(
            session,
            data=RoundCreate.model_validate(round_body(ROUND, groups=[group(), met_group()])),
            actor=bureau,
            now=T0,
        )
        move(RoundState.demand_open, clock.now())
        if demands:
            for iid, g, reported, usage in (
                ("H001", "AML-ORAL", 120000, 130000),
                ("H002", "AML-ORAL", 50000, 50000),
                ("H003", "AML-ORAL", 30000, 30000),
                ("H001", "MET-SR", 60000, 50000),
            ):
                demand.report_demand(
                    session,
                    round_id=ROUND,
                    group_id=g,
                    data=DemandFields(reported=reported, last_year_usage=usage),
                    if_match=None,
                    actor=Principal(
                        role=Role.institution, actor_id=iid, token_id=0, token_name="desk"
                    ),
                    now=clock.now(),
                )
        move(RoundState.demand_locked, DEMAND_CLOSES + timedelta(hours=1))
        move(RoundState.bidding_open, IN_BIDDING)
        session.commit()
    clock.set(IN_BIDDING)
    return World(api=api, clock=clock)


@pytest.fixture
def app(database: TestDatabase, clock: FixedClock) -> FastAPI:
    return make_app(database, clock)


@pytest.fixture
def world(api: Api, clock: FixedClock) -> World:
    return build_world(api, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, database: TestDatabase) -> Api:
    return Api(client=client, bureau_token=create_bureau_token(database))
