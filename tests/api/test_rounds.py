"""Rounds: rules, windows, the catalog, the transition table and ETags (SPEC §2, §10)."""

from datetime import timedelta
from itertools import pairwise

import pytest

from app.clock import FixedClock
from app.rounds.lifecycle import MAIN_LINE, TRANSITIONS, RoundState
from tests.api.conftest import (
    DEMAND_CLOSES,
    Api,
    assert_created_once,
    assert_problem,
    at_once,
    group,
    round_body,
)

R = "/api/v1/rounds/YN-2027-01"


def test_create_round_with_catalog(api: Api) -> None:
    response = api.client.post("/api/v1/rounds", json=round_body(), headers=api.bureau)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "draft"
    assert body["allowed_transitions"] == ["demand_open", "cancelled"]
    assert body["groups"][0]["id"] == "AML-ORAL"
    assert body["groups"][0]["ceiling"] == "0.5000"
    assert body["effective_rules"]["demand_floor_ratio"] == "0.80"
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"] == R


def test_catalog_prices_follow_the_round_documents_rule(api: Api) -> None:
    # the catalog once took 1e400, which its own export then could not import
    body = round_body(groups=[group(ceiling="1e400", pre_vbp_unit_price="1e-30")])
    problem = assert_problem(api.client.post("/api/v1/rounds", json=body, headers=api.bureau), 422)
    assert {e["field"] for e in problem["errors"]} == {
        "body.groups[0].ceiling",
        "body.groups[0].pre_vbp_unit_price",
    }
    # written with an exponent, a price is stored and shown as plain decimal text
    body = round_body(groups=[group(ceiling="5e-1", pre_vbp_unit_price="1E+1")])
    r = api.client.post("/api/v1/rounds", json=body, headers=api.bureau)
    assert r.status_code == 201, r.text
    assert (r.json()["groups"][0]["ceiling"], r.json()["groups"][0]["pre_vbp_unit_price"]) == (
        "0.5",
        "10",
    )
    # trailing zeros past what is stored (40 characters) go; the value stays
    long = round_body("LONG", groups=[group(ceiling="0.5" + "0" * 50)])
    r = api.client.post("/api/v1/rounds", json=long, headers=api.bureau)
    assert r.status_code == 201, r.text
    assert r.json()["groups"][0]["ceiling"] == "0.5"
    document = api.client.get(f"{R}/document", headers=api.bureau).json()
    document["round"]["id"] = "COPY"
    r = api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau)
    assert r.status_code == 201, r.text


def test_rules_are_validated_naming_each_path(api: Api) -> None:
    bad = round_body(rules={"profile": "batch7", "overrides": {"prepay_ratio": "0.2", "x": 1}})
    body = assert_problem(api.client.post("/api/v1/rounds", json=bad, headers=api.bureau), 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.rules.overrides.prepay_ratio", "body.rules.overrides.x"}


def test_a_max_unit_volume_beyond_what_is_stored_is_refused(api: Api) -> None:
    # it once let a report of 10**19 units through to the database (a 500)
    bad = round_body(rules={"profile": "batch7", "overrides": {"max_unit_volume": 10**30}})
    body = assert_problem(api.client.post("/api/v1/rounds", json=bad, headers=api.bureau), 422)
    assert [e["field"] for e in body["errors"]] == ["body.rules.overrides.max_unit_volume"]


def test_unknown_profile_is_422(api: Api) -> None:
    bad = round_body(rules={"profile": "batch99"})
    body = assert_problem(api.client.post("/api/v1/rounds", json=bad, headers=api.bureau), 422)
    assert body["errors"][0]["field"] == "body.rules.profile"


def test_windows_must_be_in_order(api: Api) -> None:
    bad = round_body(demand_closes_at="2026-09-01T00:00:00Z")
    body = assert_problem(api.client.post("/api/v1/rounds", json=bad, headers=api.bureau), 422)
    assert body["errors"][0]["field"] == "body.demand_closes_at"


def test_windows_need_an_offset(api: Api) -> None:
    bad = round_body(demand_opens_at="2026-10-01T00:00:00")
    body = assert_problem(api.client.post("/api/v1/rounds", json=bad, headers=api.bureau), 422)
    assert body["errors"][0]["field"] == "body.demand_opens_at"


def test_duplicate_round_is_409(api: Api) -> None:
    api.round()
    assert_problem(
        api.client.post("/api/v1/rounds", json=round_body(), headers=api.bureau),
        409,
        type_suffix="already-exists",
    )


def test_simultaneous_creations_of_one_round_create_it_once(api: Api) -> None:
    """The same round sent four times at once: one 201, the others 409 naming the round,
    never a 500 (PostgreSQL: each found no round, and the later inserts failed on the first
    one's row)."""
    responses = at_once(
        api.client.app,
        4,
        lambda client: client.post("/api/v1/rounds", json=round_body(), headers=api.bureau),
    )
    assert_created_once(responses, "round 'YN-2027-01' already exists")
    events = api.client.get(
        "/api/v1/audit?entity_type=round&entity_id=YN-2027-01", headers=api.bureau
    ).json()["items"]
    assert [e["action"] for e in events] == ["create"]


def test_every_role_reads_a_round(api: Api) -> None:
    api.round()
    for headers in (api.bureau, api.institution("H001"), api.enterprise("E01")):
        assert api.client.get(R, headers=headers).json()["id"] == "YN-2027-01"


def test_missing_round_is_404(api: Api) -> None:
    body = assert_problem(api.client.get("/api/v1/rounds/NOPE", headers=api.bureau), 404)
    assert "NOPE" in body["detail"]


# -- catalog -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        ("amlodipine", "amlodipine", "amlodipine"),
        # SPEC §2 counts groups per generic name; AMLODIPINE is not a second name
        ("amlodipine", "Amlodipine", "ＡＭＬＯＤＩＰＩＮＥ "),
    ],
)
def test_at_most_two_groups_per_generic_name(api: Api, names: tuple[str, str, str]) -> None:
    groups = [group("A", names[0]), group("B", names[1]), group("C", names[2], "x")]
    body = assert_problem(
        api.client.post("/api/v1/rounds", json=round_body(groups=groups), headers=api.bureau),
        422,
    )
    assert body["errors"] == [
        {
            "field": "body.groups",
            "message": "generic name 'amlodipine' would have 3 groups (A, B, C); at most 2 allowed",
        }
    ]


def test_adding_a_third_group_names_the_generic_and_its_groups(api: Api) -> None:
    api.round(groups=[group("A", "amlodipine"), group("B", "amlodipine")])
    response = api.client.post(f"{R}/groups", json=group("C", "amlodipine"), headers=api.bureau)
    body = assert_problem(response, 422)
    assert "'amlodipine'" in body["errors"][0]["message"]
    assert "(A, B, C)" in body["errors"][0]["message"]


def test_the_limit_is_a_rule_set_field(api: Api) -> None:
    rules = {"profile": "batch7", "overrides": {"max_groups_per_generic": 3}}
    groups = [group(g, "amlodipine") for g in "ABC"]
    api.round(rules=rules, groups=groups)


def test_merged_groups_count_for_every_generic_name(api: Api) -> None:
    api.round(groups=[group("A", "amlodipine", "nifedipine"), group("B", "nifedipine")])
    response = api.client.post(f"{R}/groups", json=group("C", "nifedipine"), headers=api.bureau)
    assert "'nifedipine'" in assert_problem(response, 422)["errors"][0]["message"]


def test_catalog_edits_bump_the_round_etag(api: Api) -> None:
    api.round()
    response = api.client.post(f"{R}/groups", json=group("AML-SR"), headers=api.bureau)
    assert response.status_code == 201
    assert response.headers["ETag"] == '"v2"'
    changed = {k: v for k, v in group().items() if k != "id"} | {"ceiling": "0.4500"}
    response = api.client.put(
        f"{R}/groups/AML-ORAL", json=changed, headers={**api.bureau, "If-Match": '"v2"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["ceiling"] == "0.4500"
    response = api.client.delete(f"{R}/groups/AML-SR", headers=api.bureau)
    assert response.status_code == 204
    groups = api.client.get(f"{R}/groups", headers=api.bureau).json()
    assert [g["id"] for g in groups] == ["AML-ORAL"]
    assert api.client.get(R, headers=api.bureau).headers["ETag"] == '"v4"'


def test_a_group_read_edited_and_sent_back_replaces_it(api: Api) -> None:
    api.round()
    got = api.client.get(f"{R}/groups/AML-ORAL", headers=api.bureau)
    assert got.headers["ETag"] == '"v1"'  # the round's: catalog edits are edits of the round
    assert api.client.get(f"{R}/groups", headers=api.bureau).headers["ETag"] == '"v1"'
    edited = got.json() | {"ceiling": "0.4500"}
    r = api.client.put(
        f"{R}/groups/AML-ORAL", json=edited, headers={**api.bureau, "If-Match": got.headers["ETag"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["ceiling"] == "0.4500" and r.headers["ETag"] == '"v2"'
    renamed = edited | {"id": "OTHER"}
    r = api.client.put(f"{R}/groups/AML-ORAL", json=renamed, headers=api.bureau)
    assert [e["field"] for e in assert_problem(r, 422)["errors"]] == ["body.id"]


def test_catalog_is_frozen_after_draft(api: Api) -> None:
    api.open_demand()
    response = api.client.post(f"{R}/groups", json=group("NEW"), headers=api.bureau)
    body = assert_problem(response, 409, type_suffix="wrong-state")
    assert "demand_open" in body["detail"]
    assert_problem(api.client.delete(f"{R}/groups/AML-ORAL", headers=api.bureau), 409)


def test_duplicate_group_is_409(api: Api) -> None:
    api.round()
    assert_problem(
        api.client.post(f"{R}/groups", json=group(), headers=api.bureau),
        409,
        type_suffix="already-exists",
    )


# -- ETag / If-Match ---------------------------------------------------------------------------


def test_stale_if_match_is_412(api: Api) -> None:
    api.round()
    api.client.patch(R, json={"name": "renamed"}, headers=api.bureau)
    response = api.client.patch(
        R, json={"name": "again"}, headers={**api.bureau, "If-Match": '"v1"'}
    )
    body = assert_problem(response, 412, type_suffix="precondition-failed")
    assert body["current_etag"] == '"v2"'
    assert api.client.get(R, headers=api.bureau).json()["name"] == "renamed"


def test_matching_if_match_proceeds(api: Api) -> None:
    api.round()
    response = api.move("YN-2027-01", "demand_open", **{"If-Match": '"v1"'})
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v2"'


def test_if_none_match_gives_304(api: Api) -> None:
    api.round()
    response = api.client.get(R, headers={**api.bureau, "If-None-Match": '"v1"'})
    assert response.status_code == 304
    assert response.headers["ETag"] == '"v1"'


def test_rules_change_only_in_draft(api: Api) -> None:
    api.open_demand()
    response = api.client.patch(R, json={"rules": {"profile": "batch10"}}, headers=api.bureau)
    assert_problem(response, 409, type_suffix="wrong-state")


def test_demand_window_can_be_extended_while_open(api: Api) -> None:
    api.open_demand()
    later = (DEMAND_CLOSES + timedelta(days=3)).isoformat()
    response = api.client.patch(R, json={"demand_closes_at": later}, headers=api.bureau)
    assert response.status_code == 200, response.text
    assert response.json()["demand_closes_at"].startswith("2026-11-03")


# -- transitions -------------------------------------------------------------------------------


def test_transition_table_matches_the_spec() -> None:
    S = RoundState
    assert TRANSITIONS[S.draft] == {S.demand_open, S.cancelled}
    assert TRANSITIONS[S.awarded] == {S.published, S.cancelled}
    assert TRANSITIONS[S.published] == {S.in_agreement}
    assert TRANSITIONS[S.in_agreement] == {S.closed}
    assert TRANSITIONS[S.closed] == frozenset()
    assert TRANSITIONS[S.cancelled] == frozenset()
    for before, after in pairwise(MAIN_LINE):
        assert after in TRANSITIONS[before]


@pytest.mark.parametrize("target", ["demand_locked", "awarded", "closed", "draft"])
def test_illegal_transition_is_409_naming_both_states(api: Api, target: str) -> None:
    api.round()
    body = assert_problem(api.move("YN-2027-01", target), 409, type_suffix="illegal-transition")
    assert body["from_state"] == "draft"
    assert body["to_state"] == target
    assert "draft" in body["detail"] and target in body["detail"]


def test_unknown_state_is_422(api: Api) -> None:
    api.round()
    body = assert_problem(api.move("YN-2027-01", "finished"), 422)
    assert body["errors"][0]["field"] == "body.to"


def test_opening_demand_needs_groups_and_a_window(api: Api) -> None:
    api.round(groups=[])
    body = assert_problem(
        api.move("YN-2027-01", "demand_open"), 409, type_suffix="transition-blocked"
    )
    assert "no groups" in body["detail"]
    assert (body["from_state"], body["to_state"]) == ("draft", "demand_open")


def test_locking_waits_for_the_window_to_close(api: Api, clock: FixedClock) -> None:
    api.open_demand()
    body = assert_problem(api.move("YN-2027-01", "demand_locked"), 409)
    assert "open until" in body["detail"]
    clock.set(DEMAND_CLOSES)
    assert api.move("YN-2027-01", "demand_locked").status_code == 200


def test_lifecycle_to_opening_with_an_injected_clock(api: Api, clock: FixedClock) -> None:
    api.open_demand()
    clock.set(DEMAND_CLOSES)
    assert api.move("YN-2027-01", "demand_locked").status_code == 200
    assert api.move("YN-2027-01", "bidding_open").status_code == 200
    blocked = assert_problem(api.move("YN-2027-01", "bids_opened"), 409)
    assert "bidding is open until" in blocked["detail"]
    clock.advance(timedelta(days=60))
    response = api.move("YN-2027-01", "bids_opened")
    assert response.status_code == 200, response.text
    assert api.client.get(R, headers=api.bureau).json()["state"] == "bids_opened"
    assert api.move("YN-2027-01", "cancelled").json()["state"] == "cancelled"


def test_cancel_before_published_only(api: Api, clock: FixedClock) -> None:
    api.open_demand()
    assert api.move("YN-2027-01", "cancelled").json()["state"] == "cancelled"
    body = assert_problem(api.move("YN-2027-01", "demand_open"), 409)
    assert body["from_state"] == "cancelled"


def test_transitions_are_audited(api: Api) -> None:
    api.open_demand()
    events = api.client.get(
        "/api/v1/audit?entity_type=round&entity_id=YN-2027-01", headers=api.bureau
    ).json()["items"]
    assert [e["action"] for e in events] == ["create", "transition"]
    assert events[1]["before"] == {"state": "draft"}
    assert events[1]["after"]["state"] == "demand_open"
    assert events[1]["actor_role"] == "bureau"
