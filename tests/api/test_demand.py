"""Demand reports, review and base volumes (SPEC §3), with the window on an injected clock."""

from datetime import timedelta
from typing import Any

import pytest

from app.clock import FixedClock
from tests.api.conftest import DEMAND_CLOSES, DEMAND_OPENS, Api, assert_problem

R = "/api/v1/rounds/YN-2027-01"


@pytest.fixture
def h1(api: Api) -> dict[str, str]:
    return api.institution("H001")


def reports(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = api.client.get(f"{R}/demands{query}", headers=api.bureau)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    ("reported", "usage", "flagged"),
    [
        (80, 100, False),  # exactly the floor
        (79, 100, True),
        (0, 0, False),  # usage 0 is never flagged
        (0, 1, True),
        (7999999, 10000000, True),
        (8000000, 10000000, False),
        (3, 4, True),  # 3 < 3.2
        (4, 5, False),  # 4 = 0.8 × 5, exactly, no float noise
        (120000, 130000, False),
    ],
)
def test_flagged_exactly_below_the_floor(
    api: Api, h1: dict[str, str], reported: int, usage: int, flagged: bool
) -> None:
    api.open_demand()
    response = api.report(h1, "AML-ORAL", reported, usage)
    assert response.status_code == 201, response.text
    assert response.json()["flagged"] is flagged
    assert response.json()["review_status"] == ("pending" if flagged else None)


def test_report_then_replace(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    first = api.report(h1, "AML-ORAL", 100, 100)
    assert first.status_code == 201
    assert first.headers["ETag"] == '"v1"'
    second = api.report(h1, "AML-ORAL", 90, 100, **{"preferred_enterprise": None})
    assert second.status_code == 200
    assert second.headers["ETag"] == '"v2"'
    same = api.report(h1, "AML-ORAL", 90, 100)
    assert same.status_code == 200
    assert same.headers["ETag"] == '"v2"'  # nothing changed


def test_stale_if_match_on_a_report_is_412(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 100, 100)
    api.report(h1, "AML-ORAL", 95, 100)
    response = api.client.put(
        f"{R}/demands/AML-ORAL",
        json={"reported": 1, "last_year_usage": 1},
        headers={**h1, "If-Match": '"v1"'},
    )
    assert_problem(response, 412, type_suffix="precondition-failed")
    assert reports(api)[0]["reported"] == 95


def test_late_report_is_409(api: Api, h1: dict[str, str], clock: FixedClock) -> None:
    api.open_demand()
    clock.set(DEMAND_CLOSES)
    body = assert_problem(api.report(h1, "AML-ORAL", 100, 100), 409, type_suffix="window-closed")
    assert "closed at" in body["detail"]


def test_early_report_is_409(api: Api, h1: dict[str, str], clock: FixedClock) -> None:
    api.open_demand()
    clock.set(DEMAND_OPENS - timedelta(seconds=1))
    body = assert_problem(api.report(h1, "AML-ORAL", 100, 100), 409, type_suffix="window-closed")
    assert "opens at" in body["detail"]


def test_report_in_draft_is_409(api: Api, h1: dict[str, str]) -> None:
    api.round()
    body = assert_problem(api.report(h1, "AML-ORAL", 100, 100), 409, type_suffix="window-closed")
    assert "draft" in body["detail"]


def test_unknown_group_is_404(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    body = assert_problem(api.report(h1, "NOPE", 1, 1), 404)
    assert "NOPE" in body["detail"]


def test_absurd_volumes_and_unknown_enterprises_are_422(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    body = assert_problem(api.report(h1, "AML-ORAL", 10**9 + 1, 5, preferred_enterprise="E99"), 422)
    assert {e["field"] for e in body["errors"]} == {"body.reported", "body.preferred_enterprise"}


def test_non_integer_volumes_are_422(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    body = assert_problem(api.report(h1, "AML-ORAL", 1.5, "7"), 422)  # type: ignore[arg-type]
    assert {e["field"] for e in body["errors"]} == {"body.reported", "body.last_year_usage"}


def test_institutions_see_only_their_own(api: Api, h1: dict[str, str]) -> None:
    h2 = api.institution("H002")
    api.open_demand()
    api.report(h1, "AML-ORAL", 100, 100)
    api.report(h2, "AML-ORAL", 50, 100)
    own = api.client.get(f"{R}/demands", headers=h1).json()["items"]
    assert [r["institution_id"] for r in own] == ["H001"]
    # a filter narrows what the caller may see: another institution's id finds nothing
    assert api.client.get(f"{R}/demands?institution_id=H002", headers=h1).json()["items"] == []
    assert len(reports(api)) == 2
    assert_problem(api.client.get(f"{R}/institutions/H002/demands/AML-ORAL", headers=h1), 404)
    assert api.client.get(f"{R}/demands/AML-ORAL", headers=h2).json()["reported"] == 50


def test_bureau_lists_the_review_queue(api: Api, h1: dict[str, str]) -> None:
    h2 = api.institution("H002")
    api.open_demand()
    api.report(h1, "AML-ORAL", 100, 100)
    api.report(h2, "AML-ORAL", 50, 100)
    queue = reports(api, "?flagged=true&review_status=pending")
    assert [(r["institution_id"], r["flagged"]) for r in queue] == [("H002", True)]


def review(api: Api, institution: str, **body: Any) -> Any:
    return api.client.post(
        f"{R}/institutions/{institution}/demands/AML-ORAL/review", json=body, headers=api.bureau
    )


def test_review_is_recorded_with_who_when_why(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 50, 100)
    response = review(api, "H001", decision="adjust", volume=85, reason="HIS usage data")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["review_status"], body["adjusted_volume"]) == ("adjusted", 85)
    assert body["reviewed_by"] == "bureau desk"
    assert body["review_reason"] == "HIS usage data"
    events = api.client.get(
        "/api/v1/audit?entity_type=demand_report&entity_id=YN-2027-01/H001/AML-ORAL",
        headers=api.bureau,
    ).json()["items"]
    assert [e["action"] for e in events] == ["report", "review.adjust"]
    assert events[1]["actor_name"] == "bureau desk"
    assert events[1]["before"]["review_status"] == "pending"
    assert events[1]["after"]["review_reason"] == "HIS usage data"
    assert events[1]["at"].startswith("2026-10-01T09:00")


def test_review_needs_a_reason_and_a_volume_to_adjust(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 50, 100)
    assert_problem(review(api, "H001", decision="accept", reason=""), 422)
    body = assert_problem(review(api, "H001", decision="adjust", reason="x"), 422)
    assert body["errors"] == [
        {"field": "body.volume", "message": "required to adjust: the adjusted report"}
    ]
    body = assert_problem(review(api, "H001", decision="reject", volume=5, reason="x"), 422)
    assert [e["field"] for e in body["errors"]] == ["body.volume"]


def test_review_of_a_missing_report_is_404(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    assert_problem(review(api, "H001", decision="accept", reason="ok"), 404)


def test_reporting_again_clears_the_review(api: Api, h1: dict[str, str]) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 50, 100)
    review(api, "H001", decision="accept", reason="ok")
    body = api.report(h1, "AML-ORAL", 60, 100).json()
    assert (body["review_status"], body["review_reason"]) == ("pending", None)


def lock(api: Api, clock: FixedClock) -> None:
    clock.set(DEMAND_CLOSES)
    response = api.move("YN-2027-01", "demand_locked")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            "raise",
            {
                "H1": (100, None),
                "H2": (80, "below_floor_raised"),
                "H3": (50, "below_floor_accepted"),
                "H4": (90, None),
                "H5": (80, "below_floor_raised"),
                "H6": (7, None),
                "H7": (60, "below_floor_accepted"),
            },
        ),
        (
            "accept",
            {
                "H1": (100, None),
                "H2": (50, "below_floor_accepted"),
                "H3": (50, "below_floor_accepted"),
                "H4": (90, None),
                "H5": (80, "below_floor_raised"),  # rejected: the floor, whatever the policy
                "H6": (7, None),
                "H7": (60, "below_floor_accepted"),
            },
        ),
    ],
)
def test_locking_computes_base_volumes(
    api: Api, clock: FixedClock, policy: str, expected: dict[str, tuple[int, str | None]]
) -> None:
    tokens = {i: api.institution(i) for i in expected}
    api.open_demand(rules={"profile": "batch7", "overrides": {"below_floor_policy": policy}})
    api.report(tokens["H1"], "AML-ORAL", 100, 100)  # not flagged
    api.report(tokens["H2"], "AML-ORAL", 50, 100)  # flagged, never reviewed
    api.report(tokens["H3"], "AML-ORAL", 50, 100)  # flagged, accepted
    api.report(tokens["H4"], "AML-ORAL", 50, 100)  # flagged, adjusted
    api.report(tokens["H5"], "AML-ORAL", 100, 100)  # rejected
    api.report(tokens["H6"], "AML-ORAL", 7, 0)  # usage 0: never flagged
    api.report(tokens["H7"], "AML-ORAL", 50, 100)  # flagged, adjusted still below the floor
    review(api, "H3", decision="accept", reason="justified")
    review(api, "H4", decision="adjust", volume=90, reason="adjusted")
    review(api, "H5", decision="reject", reason="not credible")
    review(api, "H7", decision="adjust", volume=60, reason="ward closed, 60 justified")
    lock(api, clock)
    got = {r["institution_id"]: (r["base_volume"], r["base_flag"]) for r in reports(api)}
    assert got == expected


def test_raise_rounds_up(api: Api, clock: FixedClock) -> None:
    h1 = api.institution("H1")
    api.open_demand()
    api.report(h1, "AML-ORAL", 1, 7)  # floor 0.8 × 7 = 5.6 → 6
    lock(api, clock)
    assert reports(api)[0]["base_volume"] == 6


def test_no_review_after_locking(api: Api, h1: dict[str, str], clock: FixedClock) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 50, 100)
    lock(api, clock)
    body = assert_problem(review(api, "H001", decision="accept", reason="late"), 409)
    assert "demand_locked" in body["detail"]


def test_locking_is_audited_per_report(api: Api, h1: dict[str, str], clock: FixedClock) -> None:
    api.open_demand()
    api.report(h1, "AML-ORAL", 50, 100)
    lock(api, clock)
    events = api.client.get(
        "/api/v1/audit?round_id=YN-2027-01&entity_type=demand_report", headers=api.bureau
    ).json()["items"]
    assert events[-1]["action"] == "lock"
    assert events[-1]["before"] == {"base_volume": None, "base_flag": None}
    assert events[-1]["after"] == {"base_volume": 80, "base_flag": "below_floor_raised"}
