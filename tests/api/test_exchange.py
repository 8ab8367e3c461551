# ruff: noqa: F811 -- the fixtures imported from test_bids_support are parameters here
"""Round documents in and out (SPEC §11): import a document as a stored round, export a
stored round; round trips through `vbp simulate`."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.clock import FixedClock
from solver.document import parse_round_document
from solver.engine import dumps_outcome, simulate
from tests.api.conftest import Api, assert_created_once, assert_problem, at_once
from tests.api.test_bids_support import (  # noqa: F401 (fixtures)
    ROUND,
    World,
    api,
    app,
    bid_all,
    build_world,
    client,
    poll_job,
    world,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
IMPORT = "/api/v1/rounds:import"


@pytest.fixture
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return data


def _import(api: Api, document: Any) -> Any:
    return api.client.post(IMPORT, json=document, headers=api.bureau)


def _without_seconds(text: str) -> str:
    return re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)


def test_an_imported_round_with_bids_is_ready_for_the_award(
    api: Api, document: dict[str, Any]
) -> None:
    r = _import(api, document)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["round"]["state"] == "bids_opened"
    assert (body["demands"], body["bids"]) == (8, 9)
    assert body["registered_institutions"] == ["H001", "H002", "H003", "H004", "H005"]
    assert r.headers["Location"] == "/api/v1/rounds/YN-DEMO-2027"


def test_the_export_of_an_imported_round_simulates_to_the_same_outcome(
    api: Api, document: dict[str, Any]
) -> None:
    _import(api, document)
    exported = api.client.get("/api/v1/rounds/YN-DEMO-2027/document", headers=api.bureau)
    assert exported.status_code == 200, exported.text
    again = parse_round_document(exported.json())  # it validates
    assert _without_seconds(dumps_outcome(simulate(again))) == _without_seconds(
        dumps_outcome(simulate(parse_round_document(document)))
    )


def test_import_then_award_gives_what_vbp_simulate_prints(
    api: Api, document: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    _import(api, document)
    r = api.client.post("/api/v1/rounds/YN-DEMO-2027/award", json={}, headers=api.bureau)
    assert poll_job(api.client, api.bureau, r.json()["id"])["status"] == "succeeded"
    stored = api.client.get("/api/v1/rounds/YN-DEMO-2027/outcome", headers=api.bureau)
    assert main(["simulate", str(EXAMPLE)]) == 0
    printed = capsys.readouterr().out
    assert _without_seconds(stored.text) == _without_seconds(printed)


def test_an_institution_reads_its_report_beside_the_reviewed_one(
    api: Api, document: dict[str, Any]
) -> None:
    (line,) = [
        d for d in document["demands"] if (d["institution"], d["group"]) == ("H002", "AML-ORAL")
    ]
    line["reviewed"] = 70000  # the bureau adjusted the 50000 reported
    _import(api, document)
    r = api.client.post("/api/v1/rounds/YN-DEMO-2027/award", json={}, headers=api.bureau)
    assert poll_job(api.client, api.bureau, r.json()["id"])["status"] == "succeeded"
    assert api.move("YN-DEMO-2027", "published").status_code == 200
    view = api.client.get(
        "/api/v1/rounds/YN-DEMO-2027/outcome", headers=api._token("institutions", "H002")
    ).json()
    rows = {v["group"]: (v["reported"], v["reviewed"], v["base_volume"]) for v in view["volumes"]}
    assert rows["AML-ORAL"] == (50000, 70000, 70000)


def test_a_round_with_demands_only_is_imported_demand_locked(
    api: Api, document: dict[str, Any]
) -> None:
    document["bids"] = []
    body = _import(api, document).json()
    assert body["round"]["state"] == "demand_locked"
    reports = api.client.get(
        "/api/v1/rounds/YN-DEMO-2027/demands",
        params={"institution_id": "H002", "group_id": "AML-ORAL"},
        headers=api.bureau,
    ).json()["items"]
    # 50000 reported against 80000 used: raised to the floor when locked (SPEC §3)
    assert [(r["base_volume"], r["base_flag"]) for r in reports] == [(64000, "below_floor_raised")]


def test_a_round_with_a_catalog_only_is_imported_as_a_draft(
    api: Api, document: dict[str, Any]
) -> None:
    document["bids"], document["demands"] = [], []
    assert _import(api, document).json()["round"]["state"] == "draft"


def test_accepted_below_floor_is_imported_as_an_accepted_review(
    api: Api, document: dict[str, Any]
) -> None:
    _import(api, document)
    (report,) = api.client.get(
        "/api/v1/rounds/YN-DEMO-2027/demands",
        params={"institution_id": "H003", "group_id": "AML-ORAL"},
        headers=api.bureau,
    ).json()["items"]
    assert report["review_status"] == "accepted" and report["base_flag"] == "below_floor_accepted"


def test_a_yaml_document_is_imported(api: Api, document: dict[str, Any]) -> None:
    r = api.client.post(
        IMPORT,
        content=yaml.safe_dump(document),
        headers={**api.bureau, "Content-Type": "application/yaml"},
    )
    assert r.status_code == 201, r.text


def test_an_invalid_document_is_422_naming_the_path(api: Api, document: dict[str, Any]) -> None:
    document["bids"][3]["pack_price"] = "0"
    problem = assert_problem(_import(api, document), 422, type_suffix="invalid-input")
    assert [e["field"] for e in problem["errors"]] == ["bids[3].pack_price"]


def test_an_id_the_service_cannot_use_is_422(api: Api, document: dict[str, Any]) -> None:
    document["round"]["id"] = "YN 2027/01"
    problem = assert_problem(_import(api, document), 422)
    assert problem["errors"][0]["field"] == "round.id"


def test_a_registered_institution_in_another_region_is_422(
    api: Api, document: dict[str, Any]
) -> None:
    api.institution("H003", "KM")  # the document says QJ
    problem = assert_problem(_import(api, document), 422)
    assert problem["errors"] == [
        {
            "field": "institutions[2].region",
            "message": "institution H003 is registered in region 'KM', not 'QJ'",
        }
    ]


def test_a_registered_enterprise_with_another_credit_level_is_422(
    api: Api, document: dict[str, Any]
) -> None:
    api.enterprise("E07", None)  # the document says serious
    problem = assert_problem(_import(api, document), 422)
    assert problem["errors"][0]["field"] == "enterprises[6].credit_level"


def test_registered_actors_are_matched_not_duplicated(api: Api, document: dict[str, Any]) -> None:
    api.institution("H001", "KM")
    api.enterprise("E02", "general")
    body = _import(api, document).json()
    assert "H001" not in body["registered_institutions"]
    assert "E02" not in body["registered_enterprises"]


def test_importing_an_existing_round_is_409(api: Api, document: dict[str, Any]) -> None:
    _import(api, document)
    assert_problem(_import(api, document), 409, type_suffix="already-exists")


def test_simultaneous_imports_register_their_shared_new_actors_once(
    api: Api, document: dict[str, Any]
) -> None:
    """Four documents of four rounds with the same new institutions and enterprises,
    imported at once: all four are stored; the first registers the actors and the others
    match them, instead of failing on them (PostgreSQL: imports take turns)."""
    documents = [
        {**document, "round": {**document["round"], "id": f"YN-DEMO-{k}"}} for k in range(4)
    ]
    sent = iter(documents)
    responses = at_once(
        api.client.app,
        4,
        lambda client: client.post(IMPORT, json=next(sent), headers=api.bureau),
    )
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    registered = sorted(
        (r.json()["registered_institutions"], r.json()["registered_enterprises"]) for r in responses
    )
    assert [bool(i) or bool(e) for i, e in registered] == [False, False, False, True]
    assert registered[-1][0] == ["H001", "H002", "H003", "H004", "H005"]


def test_simultaneous_imports_of_one_round_store_it_once(
    api: Api, document: dict[str, Any]
) -> None:
    """One document imported four times at once: one 201, the others 409 naming the round,
    never a 500."""
    responses = at_once(
        api.client.app,
        4,
        lambda client: client.post(IMPORT, json=document, headers=api.bureau),
    )
    assert_created_once(responses, "round 'YN-DEMO-2027' already exists")


def test_a_document_that_is_not_json_is_422(api: Api) -> None:
    r = api.client.post(
        IMPORT, content=b"{nope", headers={**api.bureau, "Content-Type": "application/json"}
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "body"


def test_an_unsupported_media_type_is_415(api: Api) -> None:
    r = api.client.post(IMPORT, content=b"x", headers={**api.bureau, "Content-Type": "text/plain"})
    assert_problem(r, 415, type_suffix="unsupported-media-type")


def test_before_opening_the_export_has_no_bids(world: World) -> None:
    bid_all(world)
    exported = world.client.get(f"/api/v1/rounds/{ROUND}/document", headers=world.api.bureau)
    assert exported.json()["bids"] == []
    assert "3.36" not in exported.text


def test_after_opening_the_export_has_the_live_bids(world: World) -> None:
    bid_all(world)
    world.open_bids()
    bids = world.client.get(f"/api/v1/rounds/{ROUND}/document", headers=world.api.bureau).json()[
        "bids"
    ]
    assert [(b["enterprise"], b["group"], b["pack_price"]) for b in bids] == [
        ("E01", "AML-ORAL", "9.80"),
        ("E02", "AML-ORAL", "3.36"),
        ("E03", "AML-ORAL", "3.50"),
        ("E02", "MET-SR", "4.50"),
    ]


def test_the_export_carries_the_bureaus_review(api: Api, clock: FixedClock) -> None:
    from tests.api.conftest import DEMAND_CLOSES, group
    from tests.api.test_bids_support import met_group

    h1 = api.institution("H001", "KM")
    api.open_demand(ROUND, groups=[group(), met_group()])
    api.report(h1, "AML-ORAL", 50000, 100000)  # below the floor, adjusted by the bureau
    api.report(h1, "MET-SR", 10000, 50000)  # below the floor, rejected
    for g, decision in (
        ("AML-ORAL", {"decision": "adjust", "volume": 60000}),
        ("MET-SR", {"decision": "reject"}),
    ):
        r = api.client.post(
            f"/api/v1/rounds/{ROUND}/institutions/H001/demands/{g}/review",
            json={**decision, "reason": "checked against HIS"},
            headers=api.bureau,
        )
        assert r.status_code == 200, r.text
    clock.set(DEMAND_CLOSES)
    assert api.move(ROUND, "demand_locked").status_code == 200
    exported = api.client.get(f"/api/v1/rounds/{ROUND}/document", headers=api.bureau).json()
    # what the institution reported, and beside it the report as the bureau reviewed it
    assert exported["demands"] == [
        {
            "institution": "H001",
            "group": "AML-ORAL",
            "reported": 50000,
            "last_year_usage": 100000,
            "reviewed": 60000,
            "accepted_below_floor": True,
        },
        {
            "institution": "H001",
            "group": "MET-SR",
            "reported": 10000,
            "last_year_usage": 50000,
            "reviewed": 0,
        },
    ]
    outcome = simulate(parse_round_document(exported))
    # rejected: nothing reported, still below the floor at locking, raised (the default policy)
    assert [v["base_volume"] for v in outcome["volumes"]] == [60000, 40000]
    assert [(v["reported"], v["reviewed"]) for v in outcome["volumes"]] == [
        (50000, 60000),
        (10000, 0),
    ]
    # each report's base and flag as locked are the outcome's
    reports = api.client.get(f"/api/v1/rounds/{ROUND}/demands", headers=api.bureau).json()
    locked = {r["group_id"]: (r["base_volume"], r["base_flag"]) for r in reports["items"]}
    assert [locked["AML-ORAL"], locked["MET-SR"]] == [
        (v["base_volume"], v["flag"]) for v in outcome["volumes"]
    ]
    assert locked["MET-SR"] == (40000, "below_floor_raised")

    # imported again, the reviews come back as reviews, and lock to the same bases
    copy = {**exported, "round": {**exported["round"], "id": "COPY-1"}}
    r = api.client.post("/api/v1/rounds:import", json=copy, headers=api.bureau)
    assert r.status_code == 201, r.text
    again = api.client.get("/api/v1/rounds/COPY-1/demands", headers=api.bureau).json()["items"]
    assert [
        (x["reported"], x["review_status"], x["adjusted_volume"], x["base_volume"], x["base_flag"])
        for x in sorted(again, key=lambda x: x["group_id"])
    ] == [
        (50000, "adjusted", 60000, 60000, "below_floor_accepted"),
        (10000, "rejected", None, 40000, "below_floor_raised"),
    ]
    exported_again = api.client.get("/api/v1/rounds/COPY-1/document", headers=api.bureau).json()
    assert exported_again["demands"] == exported["demands"]
    # SPEC §3: every adjustment is recorded with who, when and why, imported ones too
    events = api.client.get(
        "/api/v1/audit",
        params={"round_id": "COPY-1", "entity_type": "demand_report"},
        headers=api.bureau,
    ).json()["items"]
    imported = next(e for e in events if e["action"] == "import" and "AML-ORAL" in e["entity_id"])
    assert imported["after"]["adjusted_volume"] == 60000
    assert imported["after"]["review_reason"] == "reviewed in the imported round document"
    assert imported["after"]["reviewed_by"]


def test_a_reviewed_volume_below_the_floor_must_be_accepted_to_import(api: Api) -> None:
    document = json.loads(EXAMPLE.read_text())
    document["demands"][0] |= {"reported": 1000, "last_year_usage": 100000, "reviewed": 50}
    r = api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau)
    body = assert_problem(r, 422)
    assert body["errors"][0]["field"] == "demands[0].reviewed"
    document["demands"][0]["accepted_below_floor"] = True
    r = api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau)
    assert r.status_code == 201, r.text


def test_the_export_can_be_yaml(world: World) -> None:
    r = world.client.get(
        f"/api/v1/rounds/{ROUND}/document", params={"format": "yaml"}, headers=world.api.bureau
    )
    assert r.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(r.text)["round"]["id"] == ROUND


def test_only_the_bureau_exports(world: World) -> None:
    r = world.client.get(f"/api/v1/rounds/{ROUND}/document", headers=world.api.actor("E01"))
    assert_problem(r, 403, type_suffix="forbidden")
