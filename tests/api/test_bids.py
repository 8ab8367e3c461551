# ruff: noqa: F811 -- the fixtures imported from test_bids_support are parameters here
"""Sealed bids over HTTP: submission and receipt, replacement with every version kept,
amendment and withdrawal with If-Match, windows, credit bars, and who reads what (SPEC §4–§5)."""

import hashlib
import json
from datetime import timedelta
from typing import Any

from app.bids.commitment import canonical_bid, commitment_of, decimal_text
from app.clock import FixedClock
from tests.api.conftest import BIDDING_CLOSES, BIDDING_OPENS, Api, assert_problem, at_once
from tests.api.test_bids_support import (  # noqa: F401 (fixtures)
    ROUND,
    World,
    api,
    app,
    bid_body,
    client,
    world,
)

BIDS = f"/api/v1/rounds/{ROUND}/bids"


def test_a_submission_returns_a_receipt_with_the_commitment(world: World) -> None:
    r = world.bid("E01", "9.80")
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["version"] == 1 and receipt["status"] == "live"
    assert receipt["pack_price"] == "9.80"
    assert len(receipt["nonce"]) == 32
    assert receipt["commitment"] == hashlib.sha256(receipt["canonical"].encode()).hexdigest()
    assert r.headers["ETag"] == '"v1"'
    assert receipt["unit_comparable_price"] == "0.2059"  # SPEC §4 example: 9.80/28/1.7


def test_the_canonical_text_holds_the_bid_ids_version_and_nonce(world: World) -> None:
    receipt = world.bid("E01", "9.80").json()
    content = json.loads(receipt["canonical"])
    assert content == {
        "round": ROUND,
        "enterprise": "E01",
        "group": "AML-ORAL",
        "version": 1,
        "nonce": receipt["nonce"],
        "submitted_at": content["submitted_at"],
        "product": {
            "strength": "10",
            "strength_unit": "mg",
            "units_per_pack": 28,
            "dosage_form": "tablet",
            "quality": "gqce",
            "fill_volume": None,
            "fill_unit": None,
        },
        "pack_price": "9.8",
        "capacity": 5000000,
        "accept_revival": False,
    }
    assert receipt["canonical"] == json.dumps(content, sort_keys=True, separators=(",", ":"))


def test_two_submissions_of_one_bid_get_different_nonces_and_commitments(world: World) -> None:
    first = world.bid("E01", "9.80").json()
    second = world.bid("E01", "9.80").json()
    assert first["nonce"] != second["nonce"]
    assert first["commitment"] != second["commitment"]


def test_a_new_submission_replaces_the_earlier_one_and_keeps_every_version(world: World) -> None:
    world.bid("E01", "9.80")
    r = world.bid("E01", "9.50")
    assert r.json()["version"] == 2
    versions = world.client.get(f"{BIDS}/AML-ORAL/versions", headers=world.api.actor("E01"))
    assert [(v["version"], v["status"], v["pack_price"]) for v in versions.json()] == [
        (1, "replaced", "9.80"),
        (2, "live", "9.50"),
    ]
    own = world.client.get(BIDS, headers=world.api.actor("E01")).json()["items"]
    assert [(b["version"], b["pack_price"]) for b in own] == [(2, "9.50")]


def test_an_amendment_needs_the_current_etag(world: World) -> None:
    world.bid("E01", "9.80")
    world.bid("E01", "9.70")
    body = {k: v for k, v in bid_body("9.60").items() if k != "group"}
    stale = world.client.put(
        f"{BIDS}/AML-ORAL", json=body, headers={**world.api.actor("E01"), "If-Match": '"v1"'}
    )
    problem = assert_problem(stale, 412, type_suffix="precondition-failed")
    assert problem["current_etag"] == '"v2"'
    ok = world.client.put(
        f"{BIDS}/AML-ORAL", json=body, headers={**world.api.actor("E01"), "If-Match": '"v2"'}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 3 and ok.json()["pack_price"] == "9.60"
    assert ok.headers["ETag"] == '"v3"'


def test_amending_without_a_live_bid_is_404(world: World) -> None:
    body = {k: v for k, v in bid_body("9.60").items() if k != "group"}
    r = world.client.put(f"{BIDS}/AML-ORAL", json=body, headers=world.api.actor("E01"))
    assert "no live bid" in assert_problem(r, 404, type_suffix="not-found")["detail"]


def test_a_withdrawal_is_a_version_without_content(world: World) -> None:
    world.bid("E01", "9.80")
    r = world.client.delete(
        f"{BIDS}/AML-ORAL", headers={**world.api.actor("E01"), "If-Match": '"v1"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn" and r.json()["pack_price"] is None
    current = world.client.get(f"{BIDS}/AML-ORAL", headers=world.api.actor("E01"))
    assert current.json()["status"] == "withdrawn" and current.headers["ETag"] == '"v2"'


def test_withdrawing_twice_is_404(world: World) -> None:
    world.bid("E01", "9.80")
    world.client.delete(f"{BIDS}/AML-ORAL", headers=world.api.actor("E01"))
    again = world.client.delete(f"{BIDS}/AML-ORAL", headers=world.api.actor("E01"))
    assert_problem(again, 404, type_suffix="not-found")


def test_a_submission_after_a_withdrawal_is_live_again(world: World) -> None:
    world.bid("E01", "9.80")
    world.client.delete(f"{BIDS}/AML-ORAL", headers=world.api.actor("E01"))
    r = world.bid("E01", "9.90")
    assert (r.json()["version"], r.json()["status"]) == (3, "live")


def test_a_late_bid_is_409(world: World) -> None:
    world.clock.set(BIDDING_CLOSES)
    problem = assert_problem(world.bid("E01", "9.80"), 409, type_suffix="window-closed")
    assert "late bids are refused" in problem["detail"]
    assert problem["closes_at"] == BIDDING_CLOSES.isoformat()


def test_a_passed_deadline_cannot_be_moved_to_let_a_late_bid_in(world: World) -> None:
    path = f"/api/v1/rounds/{world.round_id}"
    later = (BIDDING_CLOSES + timedelta(days=1)).isoformat()
    # before the deadline the bureau may extend it
    world.clock.set(BIDDING_CLOSES - timedelta(minutes=1))
    r = world.client.patch(path, json={"bidding_closes_at": later}, headers=world.api.bureau)
    assert r.status_code == 200, r.text
    # once it has passed, it stays passed
    world.clock.set(BIDDING_CLOSES + timedelta(days=1))
    even_later = (BIDDING_CLOSES + timedelta(days=7)).isoformat()
    r = world.client.patch(path, json={"bidding_closes_at": even_later}, headers=world.api.bureau)
    problem = assert_problem(r, 409, type_suffix="window-closed")
    assert "cannot be moved" in problem["detail"]
    assert problem["closes_at"] == later
    assert_problem(world.bid("E01", "9.80"), 409, type_suffix="window-closed")


def test_a_bidding_window_not_yet_open_can_be_moved_after_its_dates(
    api: Api, clock: FixedClock
) -> None:
    # a demand phase that ran late: no bid was taken, so the bidding dates may move
    api.open_demand(ROUND)
    clock.set(BIDDING_CLOSES + timedelta(days=1))
    later = {
        "bidding_opens_at": (BIDDING_CLOSES + timedelta(days=2)).isoformat(),
        "bidding_closes_at": (BIDDING_CLOSES + timedelta(days=9)).isoformat(),
    }
    r = api.client.patch(f"/api/v1/rounds/{ROUND}", json=later, headers=api.bureau)
    assert r.status_code == 200, r.text


def test_an_early_bid_is_409(world: World) -> None:
    world.clock.set(BIDDING_OPENS - timedelta(seconds=1))
    problem = assert_problem(world.bid("E01", "9.80"), 409, type_suffix="window-closed")
    assert "opens at" in problem["detail"]


def test_a_late_withdrawal_is_409(world: World) -> None:
    world.bid("E01", "9.80")
    world.clock.set(BIDDING_CLOSES + timedelta(minutes=1))
    r = world.client.delete(f"{BIDS}/AML-ORAL", headers=world.api.actor("E01"))
    assert_problem(r, 409, type_suffix="window-closed")


def test_a_bid_outside_bidding_open_is_409(world: World) -> None:
    world.open_bids()
    problem = assert_problem(world.bid("E01", "9.80"), 409, type_suffix="window-closed")
    assert "bids_opened" in problem["detail"]


def test_a_seriously_discredited_enterprise_is_refused(api: Any, clock: Any) -> None:
    from tests.api.test_bids_support import build_world

    w = build_world(api, clock, credit={"E03": "serious"})
    problem = assert_problem(w.bid("E03", "9.80"), 409, type_suffix="credit-barred")
    assert "serious" in problem["detail"] and problem["credit_level"] == "serious"


def test_an_unknown_group_is_422_naming_the_field(world: World) -> None:
    problem = assert_problem(world.bid("E01", "9.80", "NOPE"), 422, type_suffix="invalid-input")
    assert problem["errors"][0]["field"] == "body.group"


def test_a_strength_unit_of_another_family_is_422(world: World) -> None:
    body = bid_body("9.80")
    body["product"]["strength_unit"] = "ml"
    r = world.client.post(BIDS, json=body, headers=world.api.actor("E01"))
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "body.product.strength_unit"


def test_a_pack_of_more_units_than_a_column_holds_is_422(world: World) -> None:
    body = bid_body("9.80")
    body["product"]["units_per_pack"] = 2**64  # once a 500 from the database driver
    r = world.client.post(BIDS, json=body, headers=world.api.actor("E01"))
    problem = assert_problem(r, 422)
    assert [e["field"] for e in problem["errors"]] == ["body.product.units_per_pack"]


def test_a_bad_price_is_422_without_repeating_it(world: World) -> None:
    problem = assert_problem(world.bid("E01", "-7.3917"), 422, type_suffix="invalid-input")
    assert problem["errors"] == [
        {
            "field": "body.pack_price",
            "message": 'must be a positive decimal string with at most 6 decimal places, e.g. "9.80"',
        }
    ]
    assert "7.3917" not in json.dumps(problem)


def test_a_price_with_an_exponent_is_taken_as_plain_decimal_text(world: World) -> None:
    r = world.bid("E01", "1e1")
    assert r.status_code == 201, r.text
    assert r.json()["pack_price"] == "10"
    assert '"pack_price":"10"' in r.json()["canonical"].replace(" ", "")


def test_only_enterprises_submit_bids(world: World) -> None:
    r = world.client.post(BIDS, json=bid_body(), headers=world.api.bureau)
    assert_problem(r, 403, type_suffix="forbidden")


def test_before_opening_the_bureau_sees_who_bid_where_and_when_only(world: World) -> None:
    world.bid("E01", "9.80")
    world.bid("E02", "9.50", "MET-SR")
    items = world.client.get(BIDS, headers=world.api.bureau).json()["items"]
    assert [(b["enterprise"], b["group"], b["sealed"]) for b in items] == [
        ("E01", "AML-ORAL", True),
        ("E02", "MET-SR", True),
    ]
    for b in items:
        assert all(
            b[k] is None
            for k in ("pack_price", "product", "capacity", "nonce", "commitment", "canonical")
        )
        assert b["submitted_at"]


def test_before_opening_an_enterprise_sees_only_its_own_bids(world: World) -> None:
    world.bid("E01", "9.80")
    world.bid("E02", "9.50")
    items = world.client.get(BIDS, headers=world.api.actor("E02")).json()["items"]
    assert [(b["enterprise"], b["pack_price"]) for b in items] == [("E02", "9.50")]


def test_before_opening_institutions_are_refused_the_list(world: World) -> None:
    r = world.client.get(BIDS, headers=world.api.actor("H001"))
    assert "sealed" in assert_problem(r, 409, type_suffix="wrong-state")["detail"]


def test_opening_before_the_deadline_is_409(world: World) -> None:
    problem = assert_problem(world.api.move(ROUND, "bids_opened"), 409)
    assert problem["from_state"] == "bidding_open" and problem["to_state"] == "bids_opened"


def test_after_opening_everyone_sees_prices_beside_commitments(world: World) -> None:
    receipt = world.bid("E01", "9.80").json()
    world.bid("E02", "3.36", strength="5")
    world.open_bids()
    for who in ("bureau", "H001", "E02"):
        headers = world.api.bureau if who == "bureau" else world.api.actor(who)
        items = world.client.get(BIDS, headers=headers).json()["items"]
        mine = next(b for b in items if b["enterprise"] == "E01")
        assert mine["sealed"] is False
        assert mine["pack_price"] == "9.80" and mine["unit_comparable_price"] == "0.2059"
        assert (mine["nonce"], mine["commitment"]) == (receipt["nonce"], receipt["commitment"])
        assert len(items) == 2


def test_an_enterprise_can_verify_its_opened_bid_from_the_published_fields(world: World) -> None:
    receipt = world.bid("E01", "9.80").json()
    world.open_bids()
    items = world.client.get(BIDS, headers=world.api.actor("E01")).json()["items"]
    b = items[0]
    canonical = canonical_bid(
        round_id=b["round_id"],
        enterprise_id=b["enterprise"],
        group_id=b["group"],
        version=b["version"],
        nonce=b["nonce"],
        submitted_at=_instant(b["submitted_at"]),
        product={
            k: (_decimal(v) if k in ("strength", "fill_volume") and v else v)
            for k, v in b["product"].items()
        },
        pack_price=_decimal(b["pack_price"]),
        capacity=b["capacity"],
        accept_revival=b["accept_revival"],
    )
    assert commitment_of(canonical) == receipt["commitment"] == b["commitment"]


def test_after_opening_the_bureau_reads_every_version(world: World) -> None:
    world.bid("E01", "9.80")
    world.bid("E01", "9.50")
    world.open_bids()
    r = world.client.get(BIDS, params={"all_versions": "true"}, headers=world.api.bureau)
    assert [(b["version"], b["status"], b["pack_price"]) for b in r.json()["items"]] == [
        (1, "replaced", "9.80"),
        (2, "live", "9.50"),
    ]


def test_after_opening_replaced_versions_stay_with_their_enterprise(world: World) -> None:
    # opening publishes the final bids (SPEC §5); an earlier price is the enterprise's own
    world.bid("E01", "9.80")
    world.bid("E01", "9.50")
    world.bid("E02", "9.90")
    world.bid("E02", "9.70")
    world.open_bids()

    def seen(who: dict[str, str]) -> list[tuple[str, int, str]]:
        r = world.client.get(BIDS, params={"all_versions": "true"}, headers=who)
        assert r.status_code == 200, r.text
        return [(b["enterprise"], b["version"], b["pack_price"]) for b in r.json()["items"]]

    assert seen(world.api.actor("E01")) == [
        ("E01", 1, "9.80"),
        ("E01", 2, "9.50"),
        ("E02", 2, "9.70"),
    ]
    assert seen(world.api.actor("H001")) == [("E01", 2, "9.50"), ("E02", 2, "9.70")]


def test_before_opening_every_version_is_sealed_for_the_bureau(world: World) -> None:
    world.bid("E01", "9.80")
    world.bid("E01", "9.50")
    r = world.client.get(BIDS, params={"all_versions": "true"}, headers=world.api.bureau)
    items = r.json()["items"]
    assert [(b["status"], b["sealed"], b["pack_price"]) for b in items] == [
        ("replaced", True, None),
        ("live", True, None),
    ]


def test_the_audit_trail_seals_bid_content(world: World) -> None:
    world.bid("E01", "9.80")
    events = world.client.get(
        "/api/v1/audit", params={"entity_type": "bid"}, headers=world.api.bureau
    ).json()["items"]
    (event,) = events
    assert event["action"] == "submit"
    assert event["after"]["pack_price"] == "[sealed]"
    assert event["after"]["commitment"] == "[sealed]"
    assert event["after"]["product"] == "[sealed]"
    assert event["after"]["group"] == "AML-ORAL"


def test_an_idempotent_retry_replays_the_receipt(world: World) -> None:
    headers = {**world.api.actor("E01"), "Idempotency-Key": "bid-1"}
    first = world.client.post(BIDS, json=bid_body(), headers=headers)
    again = world.client.post(BIDS, json=bid_body(), headers=headers)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    versions = world.client.get(f"{BIDS}/AML-ORAL/versions", headers=world.api.actor("E01"))
    assert len(versions.json()) == 1


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def _instant(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_decimal_text_normalises() -> None:
    from decimal import Decimal

    assert [decimal_text(Decimal(s)) for s in ("9.80", "10", "1E+2", "0.0500")] == [
        "9.8",
        "10",
        "100",
        "0.05",
    ]


def test_a_zero_capacity_bid_is_taken_and_judged_invalid_at_award(world: World) -> None:
    # SPEC §4: capacity > 0 is a validity check (`no_capacity`), not an input error.
    assert world.bid("E01", "9.80", capacity=0).status_code == 201
    assert world.bid("E02", "9.90").status_code == 201
    world.open_bids()
    assert world.award()["status"] == "succeeded"
    outcome = world.client.get(f"/api/v1/rounds/{ROUND}/outcome", headers=world.api.bureau).json()
    bids = {b["enterprise"]: b for g in outcome["groups"] for b in g["bids"]}
    assert (bids["E01"]["valid"], bids["E01"]["reason"]) == (False, "no_capacity")


def test_a_negative_capacity_is_refused_naming_the_field(world: World) -> None:
    r = world.bid("E01", "9.80", capacity=-1)
    assert_problem(r, 422)
    assert any(e["field"].endswith("capacity") for e in r.json()["errors"])


def _rate(world: World, level: str, rated_on: str) -> None:
    r = world.client.post(
        "/api/v1/enterprises/E01/credit-ratings",
        json={"level": level, "reason": "supply failures", "rated_on": rated_on},
        headers=world.api.bureau,
    )
    assert r.status_code == 201, r.text


def test_a_serious_rating_during_the_bar_refuses_the_bid(world: World) -> None:
    # Rated 2026-11-01: barred 9 months, so for this round (bidding opens 2026-11-10).
    _rate(world, "serious", "2026-11-01")
    r = world.bid("E01", "9.80")
    assert_problem(r, 409)
    assert "credit-barred" in r.json()["type"] and "9.80" not in r.text


def test_an_expired_bar_no_longer_refuses_the_bid(world: World) -> None:
    # Rated 2025-12-01: the 9-month bar ended 2026-09-01, before this round opened.
    _rate(world, "serious", "2025-12-01")
    assert world.bid("E01", "9.80").status_code == 201


def test_simultaneous_submissions_of_one_bid_keep_one_current_version(world: World) -> None:
    """Eight first submissions of one bid at once (threads, one connection each on
    PostgreSQL): each is written in its turn (last writer wins, as without If-Match), the
    versions are 1…8 without gaps, exactly one is current (the last), and each has its audit
    event. (They once collided on version 1: 409s.)"""
    from itertools import count

    from sqlmodel import Session, col, select

    from app.audit.models import AuditEvent
    from app.bids.models import Bid

    app = world.client.app
    headers = world.api.actor("E01")
    k = count()  # each request its own price (next() on a count is atomic)
    responses = at_once(
        app, 8, lambda client: client.post(BIDS, json=bid_body(f"9.{next(k):02d}"), headers=headers)
    )
    statuses = [r.status_code for r in responses]
    assert statuses == [201] * 8, [r.text for r in responses]
    written = 8
    with Session(app.state.engine) as session:  # type: ignore[attr-defined]
        versions = session.exec(
            select(Bid).where(Bid.enterprise_id == "E01", Bid.group_id == "AML-ORAL")
        ).all()
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_type == "bid", col(AuditEvent.entity_id).contains("/E01/")
            )
        ).all()
    assert sorted(v.version for v in versions) == list(range(1, written + 1))
    assert [v.version for v in versions if v.current] == [written]
    assert len(events) == written


def test_simultaneous_amendments_with_one_etag_are_one_200_and_412s(world: World) -> None:
    # READ COMMITTED once made the losers find no live bid: false 404s
    headers = world.api.actor("E01")
    first = world.bid("E01", "9.00")
    assert first.status_code == 201, first.text
    etag = first.headers["ETag"]
    amend = bid_body("8.50")
    del amend["group"]
    responses = at_once(
        world.client.app,
        8,
        lambda client: client.put(
            f"{BIDS}/AML-ORAL", json=amend, headers={**headers, "If-Match": etag}
        ),
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 7, [
        r.text for r in responses
    ]
    # without If-Match each amendment has its turn; and a withdrawal racing them never
    # reports a live bid missing
    responses = at_once(
        world.client.app,
        6,
        lambda client: client.put(f"{BIDS}/AML-ORAL", json=amend, headers=headers),
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    versions = sorted(r.json()["version"] for r in responses)
    assert versions == list(range(3, 9))
