"""Credit ratings (SPEC §9): rated with a reason and evidence, the history kept, and serious
and particularly serious ratings barring bids in rounds that open during the bar."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session

from app.clock import FixedClock
from app.credit.service import (
    credit_level_in_round,
    document_credit_level,
    is_barred_in_round,
    is_enterprise_barred,
    round_opens_on,
)
from app.db import make_engine
from app.rounds.models import Round
from solver.rules import build_rules
from tests.api.conftest import Api, assert_problem
from tests.conftest import TestDatabase

TODAY = datetime(2027, 6, 30, 2, tzinfo=UTC)  # 10:00 in China


@pytest.fixture
def rated(api: Api, clock: FixedClock) -> Api:
    clock.set(TODAY)
    api.enterprise("E01")
    api.enterprise("E02")
    return api


def rate(api: Api, level: str, rated_on: str, enterprise: str = "E01", **extra: Any) -> Any:
    return api.client.post(
        f"/api/v1/enterprises/{enterprise}/credit-ratings",
        json={"level": level, "reason": "supply failures", "rated_on": rated_on, **extra},
        headers=api.bureau,
    )


def test_a_rating_is_kept_with_its_reason_evidence_and_bar(rated: Api) -> None:
    r = rate(
        rated,
        "serious",
        "2027-03-01",
        reason="three supply failures without cause",
        evidence=["supply failures #12, #15, #19", "https://example.org/notice/31"],
    )
    assert r.status_code == 201, r.text
    rating = r.json()
    assert (rating["level"], rating["rated_on"], rating["bar_until"]) == (
        "serious",
        "2027-03-01",
        "2027-12-01",  # 9 months (bar_months.serious)
    )
    assert rating["evidence"] == ["supply failures #12, #15, #19", "https://example.org/notice/31"]
    enterprise = rated.client.get("/api/v1/enterprises/E01", headers=rated.bureau).json()
    assert enterprise["credit_level"] == "serious"


def test_the_history_is_kept_newest_first(rated: Api) -> None:
    rate(rated, "moderate", "2026-12-01")
    rate(rated, "particularly_serious", "2027-05-02")
    rate(rated, "general", "2027-01-15")  # recorded later, rated earlier
    history = rated.client.get(
        "/api/v1/enterprises/E01/credit-ratings", headers=rated.actor("E01")
    ).json()
    assert [r["level"] for r in history["ratings"]] == [
        "particularly_serious",
        "general",
        "moderate",
    ]
    assert history["current_level"] == "particularly_serious"
    assert (history["barred_today"], history["barred_until"]) == (True, "2029-05-02")
    every = rated.client.get(
        "/api/v1/credit-ratings", params={"level": "general"}, headers=rated.bureau
    )
    assert [r["rated_on"] for r in every.json()["items"]] == ["2027-01-15"]


def test_ratings_are_audited(rated: Api) -> None:
    rate(rated, "serious", "2027-03-01")
    events = rated.client.get(
        "/api/v1/audit", params={"entity_type": "credit_rating"}, headers=rated.bureau
    ).json()["items"]
    assert [(e["action"], e["after"]["level"], e["after"]["bar_until"]) for e in events] == [
        ("rate", "serious", "2027-12-01")
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "serious", "reason": "x", "rated_on": "2027-07-01"}, "body.rated_on"),
        ({"level": "serious", "reason": ""}, "body.reason"),
        ({"level": "severe", "reason": "x"}, "body.level"),
        ({"level": "serious", "reason": "x", "evidence": [""]}, "body.evidence[0]"),
    ],
)
def test_bad_ratings_are_refused(rated: Api, body: dict[str, Any], field: str) -> None:
    r = rated.client.post("/api/v1/enterprises/E01/credit-ratings", json=body, headers=rated.bureau)
    problem = assert_problem(r, 422, type_suffix="invalid-input")
    assert field in [e["field"] for e in problem["errors"]]


def test_only_the_enterprise_itself_reads_its_history(rated: Api) -> None:
    url = "/api/v1/enterprises/E01/credit-ratings"
    assert rated.client.get(url, headers=rated.actor("E01")).status_code == 200
    body = assert_problem(rated.client.get(url, headers=rated.actor("E02")), 404)
    assert "E01" in body["detail"]
    assert_problem(rate(rated, "serious", "2027-03-01", "E99"), 404, type_suffix="not-found")


# -- the bar ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "rated_on", "opens_on", "barred"),
    [
        ("serious", "2027-03-01", date(2027, 2, 28), False),  # not rated yet
        ("serious", "2027-03-01", date(2027, 3, 1), True),
        ("serious", "2027-03-01", date(2027, 11, 30), True),
        ("serious", "2027-03-01", date(2027, 12, 1), False),  # 9 months later
        ("particularly_serious", "2027-03-01", date(2029, 2, 28), True),
        ("particularly_serious", "2027-03-01", date(2029, 3, 1), False),  # 24 months
        ("moderate", "2027-03-01", date(2027, 3, 2), False),
        ("general", "2027-03-01", date(2027, 3, 2), False),
    ],
)
def test_a_bar_covers_rounds_that_open_during_it(
    rated: Api, database: TestDatabase, level: str, rated_on: str, opens_on: date, barred: bool
) -> None:
    assert rate(rated, level, rated_on).status_code == 201
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        assert is_enterprise_barred(session, "E01", on=opens_on) is barred
        assert is_enterprise_barred(session, "E02", on=opens_on) is False
        # the round document carries a level the engine bars exactly then
        level_in_document = document_credit_level(session, "E01", on=opens_on)
        assert (level_in_document in ("serious", "particularly_serious")) is barred


def test_the_rounds_own_bar_months_apply(rated: Api, database: TestDatabase) -> None:
    rate(rated, "serious", "2027-03-01")
    short = build_rules("batch7", {"bar_months": {"serious": 3, "particularly_serious": 24}})
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        assert is_enterprise_barred(session, "E01", on=date(2027, 6, 1), rules=short) is False
        assert is_enterprise_barred(session, "E01", on=date(2027, 6, 1)) is True


def test_an_expired_bar_leaves_the_document_level_blank(rated: Api, database: TestDatabase) -> None:
    rate(rated, "moderate", "2026-01-10")
    rate(rated, "serious", "2026-03-01")
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        assert document_credit_level(session, "E01", on=date(2026, 2, 1)) == "moderate"
        assert document_credit_level(session, "E01", on=date(2026, 5, 1)) == "serious"
        assert document_credit_level(session, "E01", on=date(2027, 1, 1)) is None
        assert document_credit_level(session, "E02", on=date(2027, 1, 1)) is None


def test_a_registered_level_without_ratings_still_bars(api: Api, database: TestDatabase) -> None:
    api.enterprise("E07", credit_level="serious")
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        assert is_enterprise_barred(session, "E07", on=date(2030, 1, 1)) is True
        assert document_credit_level(session, "E07", on=date(2030, 1, 1)) == "serious"


def test_a_round_opens_on_its_bidding_day_in_china() -> None:
    r = Round(
        id="R",
        rules={},
        bidding_opens_at=datetime(2027, 2, 28, 17, tzinfo=UTC),  # 01:00 on 1 March in China
        created_at=TODAY,
        updated_at=TODAY,
    )
    assert round_opens_on(r) == date(2027, 3, 1)


def test_a_stored_round_is_judged_on_its_bidding_day_and_rules(
    rated: Api, database: TestDatabase
) -> None:
    rate(rated, "serious", "2027-03-01")
    engine = database.engine or make_engine(database.url)
    opens = datetime(2027, 11, 30, 1, tzinfo=UTC)  # 09:00 in China
    during = Round(id="R1", rules={}, bidding_opens_at=opens, created_at=TODAY, updated_at=TODAY)
    short = Round(
        id="R2",
        rules={"profile": "batch7", "overrides": {"bar_months": {"serious": 3}}},
        bidding_opens_at=opens,
        created_at=TODAY,
        updated_at=TODAY,
    )
    with Session(engine) as session:
        assert is_barred_in_round(session, "E01", during) is True
        assert credit_level_in_round(session, "E01", during) == "serious"
        assert is_barred_in_round(session, "E01", short) is False
        assert credit_level_in_round(session, "E01", short) is None
