# ruff: noqa: F811 -- the fixtures imported from test_bids_support are parameters here
"""Who sees what of an award (SPEC §1): the bureau the whole outcome, also before
publishing; after publishing, institutions and enterprises their own rows and the public
results, never another actor's rows."""

from typing import Any

import pytest

from app.outcomes.schemas import WholeOutcome
from tests.api.conftest import assert_problem
from tests.api.test_bids_support import (  # noqa: F401 (fixtures)
    World,
    api,
    app,
    bid_all,
    client,
    world,
)


@pytest.fixture
def awarded(world: World) -> World:
    bid_all(world)
    world.open_bids()
    world.award()
    return world


@pytest.fixture
def published(awarded: World) -> World:
    awarded.publish()
    return awarded


def test_before_the_award_the_bureau_gets_409(world: World) -> None:
    problem = assert_problem(world.outcome(), 409, type_suffix="wrong-state")
    assert "no outcome" in problem["detail"]


def test_the_bureau_reads_the_whole_outcome_before_publishing(awarded: World) -> None:
    outcome = awarded.outcome().json()
    assert set(outcome) >= {
        "groups",
        "volumes",
        "allocations",
        "institutions",
        "regions",
        "summary",
    }
    assert {v["institution"] for v in outcome["volumes"]} == {"H001", "H002", "H003"}
    # the OpenAPI document describes it (once only the other two views were)
    WholeOutcome.model_validate(outcome)
    schema = awarded.client.get("/openapi.json").json()["paths"][
        "/api/v1/rounds/{round_id}/outcome"
    ]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {alt["$ref"].rsplit("/", 1)[-1] for alt in schema["anyOf"]}
    assert refs == {"InstitutionOutcome", "EnterpriseOutcome", "WholeOutcome"}


@pytest.mark.parametrize("who", ["H001", "E01"])
def test_before_publishing_others_get_409(awarded: World, who: str) -> None:
    problem = assert_problem(awarded.outcome(who), 409, type_suffix="wrong-state")
    assert "not published" in problem["detail"]


def test_an_institution_sees_its_own_rows_and_the_public_results(published: World) -> None:
    whole = published.outcome().json()
    view = published.outcome("H001").json()
    assert view["institution"] == "H001" and view["round"]["state"] == "published"
    # the view's rows always name `reviewed` (null: no review changed the report); the
    # outcome's rows carry it only where there is one
    assert view["volumes"] == [
        {"reviewed": None, **v} for v in whole["volumes"] if v["institution"] == "H001"
    ]
    assert view["allocations"] == [a for a in whole["allocations"] if a["institution"] == "H001"]
    (money,) = [i for i in whole["institutions"] if i["id"] == "H001"]
    assert view["contract"] == {
        "annual_contract_amount": money["annual_contract_amount"],
        "prepayment": money["prepayment"],
    }
    assert [(g["id"], g["winners"], g["payment_standard"]) for g in view["groups"]] == [
        (g["id"], g["winners"], g["payment_standard"]) for g in whole["groups"]
    ]
    assert view["regions"] == [
        {"region": "KM", "group": r["group"], "primary": r["primary"], "backup": r["backup"]}
        for r in whole["regions"]
        if r["region"] == "KM"
    ]


def test_an_institution_never_sees_another_institutions_rows(published: World) -> None:
    view = published.outcome("H003").json()
    assert {v["institution"] for v in view["volumes"]} == {"H003"}
    assert {a["institution"] for a in view["allocations"]} <= {"H003"}
    assert all(r["region"] == "QJ" for r in view["regions"])


def test_an_enterprise_sees_the_fate_of_its_bids(published: World) -> None:
    view = published.outcome("E01").json()
    assert view["bids"] == [
        {
            "group": "AML-ORAL",
            "ucp": "0.2059",
            "valid": True,
            "qualified": True,
            "rank": 3,
            "reason": "over_cap",
            "won": False,
            "winner_rank": None,
            "price": None,
        }
    ]
    assert view["allocations"] == []


def test_an_enterprise_sees_its_own_allocations_only(published: World) -> None:
    whole = published.outcome().json()
    view = published.outcome("E02").json()
    mine = [a for a in whole["allocations"] if a["enterprise"] == "E02"]
    assert mine and sorted(view["allocations"], key=_key) == sorted(mine, key=_key)
    assert {b["group"] for b in view["bids"]} == {"AML-ORAL", "MET-SR"}
    assert all(b["won"] for b in view["bids"])
    assert all("E02" in (r["primary"], r["backup"]) for r in view["regions"])


def test_the_public_results_name_winners_and_prices(published: World) -> None:
    view = published.outcome("E03").json()
    aml = next(g for g in view["groups"] if g["id"] == "AML-ORAL")
    assert aml["winners"] == [
        {"enterprise": "E02", "price": "0.1200", "rank": 1},
        {"enterprise": "E03", "price": "0.1250", "rank": 2},
    ]
    assert aml["status"] == "awarded" and aml["payment_standard"] == "0.1250"


def test_an_unknown_round_is_404(published: World) -> None:
    r = published.client.get("/api/v1/rounds/NOPE/outcome", headers=published.api.actor("E01"))
    assert_problem(r, 404, type_suffix="not-found")


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["institution"], row["group"], row["enterprise"])
