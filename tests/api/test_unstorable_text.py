"""Text no field may hold (app.text: NUL, lone surrogates) is refused wherever a request
carries text: a 422 naming the field, the same on SQLite (which could store NUL) and
PostgreSQL (which cannot); a lone surrogate used to fail the response itself (a 500)."""

import json
from pathlib import Path
from typing import Any

from tests.api.conftest import Api, assert_problem, group
from tests.api.test_bulk import upload_csv

R = "/api/v1/rounds/YN-2027-01"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
MESSAGE = "contains the NUL character (U+0000), which no field may hold"
SURROGATE = "contains a lone surrogate (U+D800–U+DFFF), which is not text"


def fields(response: Any) -> dict[str, str]:
    body = assert_problem(response, 422, type_suffix="invalid-input")
    return {e["field"]: e["message"] for e in body["errors"]}


def test_a_nul_in_a_json_body_is_422_naming_the_field(api: Api) -> None:
    r = api.client.post(
        "/api/v1/institutions",
        json={"id": "H001", "name": "a\x00b", "region": "K\x00M"},
        headers=api.bureau,
    )
    assert fields(r) == {"body.name": MESSAGE, "body.region": MESSAGE}
    assert api.client.get("/api/v1/institutions/H001", headers=api.bureau).status_code == 404


def test_a_nul_deep_in_a_body_is_named_by_its_path(api: Api) -> None:
    r = api.client.post(
        "/api/v1/rounds",
        json={"id": "R1", "groups": [group(), group("G2", "x\x00y")]},
        headers=api.bureau,
    )
    assert fields(r) == {"body.groups[1].generic_names[0]": MESSAGE}


def test_an_escaped_backslash_before_u0000_is_ordinary_text(api: Api) -> None:
    r = api.client.post(
        "/api/v1/institutions",
        json={"id": "H001", "name": "C:\\u0000", "region": "KM"},
        headers=api.bureau,
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "C:\\u0000"


def test_a_nul_in_the_path_or_the_query_is_422_naming_it(api: Api) -> None:
    api.open_demand()
    assert fields(api.client.get("/api/v1/rounds/A%00B", headers=api.bureau)) == {
        "path.round_id": MESSAGE
    }
    r = api.client.get("/api/v1/audit?round_id=A%00B&entity_type=round", headers=api.bureau)
    assert fields(r) == {"query.round_id": MESSAGE}
    r = api.client.get(f"{R}/demands?institution_id=%00", headers=api.bureau)
    assert fields(r) == {"query.institution_id": MESSAGE}


def test_a_nul_in_a_round_document_is_named_by_its_document_path(api: Api) -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["institutions"][1]["name"] = "\x00"
    r = api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau)
    assert fields(r) == {"institutions[1].name": MESSAGE}
    yaml_body = 'round: {id: "R\\0"}\ngroups: []\ninstitutions: []\n'
    r = api.client.post(
        "/api/v1/rounds:import",
        content=yaml_body.encode(),
        headers={**api.bureau, "content-type": "application/yaml"},
    )
    assert fields(r) == {"round.id": MESSAGE}


def test_a_nul_in_a_bulk_upload_is_reported_at_its_line(api: Api) -> None:
    api.enterprise("E01")
    h1 = api.institution("H001")
    api.open_demand()
    r = upload_csv(
        api, h1, "group,reported,last_year_usage,preferred_enterprise\nAML-ORAL,1,1,E\x0001\n"
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["line"] == 2, problem
    lines = [
        {"group": "AML-ORAL", "reported": 1, "last_year_usage": 1, "preferred_enterprise": "E\x00"}
    ]
    r = api.client.post(f"{R}/demands:bulk", json=lines, headers=h1)
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["line"] == 1, problem


def test_a_lone_surrogate_is_422_naming_the_field(api: Api) -> None:
    r = api.client.post(
        "/api/v1/institutions",
        content=b'{"id": "H001", "name": "R\\ud800x", "region": "KM"}',
        headers={**api.bureau, "content-type": "application/json"},
    )
    assert fields(r) == {"body.name": SURROGATE}
    # a proper pair is an ordinary character
    r = api.client.post(
        "/api/v1/institutions",
        content=b'{"id": "H001", "name": "\\ud83d\\ude00", "region": "KM"}',
        headers={**api.bureau, "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "\U0001f600"


def test_a_lone_surrogate_in_a_simulated_document_is_named_by_its_path(api: Api) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '"name": "Yunnan demonstration round 2027"', '"name": "R\\ud800x"', 1
    )
    assert "ud800" in text
    r = api.client.post(
        "/api/v1/simulations",
        content=text.encode(),
        headers={**api.bureau, "content-type": "application/json"},
    )
    assert fields(r) == {"round.name": SURROGATE}


def test_a_lone_surrogate_in_a_bulk_line_is_reported_at_its_line(api: Api) -> None:
    api.enterprise("E01")
    h1 = api.institution("H001")
    api.open_demand()
    body = (
        b'[{"group": "AML-ORAL", "reported": 1, "last_year_usage": 1,'
        b' "preferred_enterprise": "E\\udc00"}]'
    )
    r = api.client.post(
        f"{R}/demands:bulk", content=body, headers={**h1, "content-type": "application/json"}
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["line"] == 1, problem


def test_who_may_call_comes_before_the_text_check(api: Api) -> None:
    h1 = api.institution("H001")
    r = api.client.post("/api/v1/rounds/A%00B/transitions", json={"to": "demand_open"})
    assert_problem(r, 401)
    r = api.client.post("/api/v1/rounds/A%00B/transitions", json={"to": "demand_open"}, headers=h1)
    assert_problem(r, 403)


def test_an_idempotency_key_does_not_let_unstorable_text_through(api: Api) -> None:
    # the key is stored with the request's path and a hash of its body: once a 500 (NUL in
    # the path on PostgreSQL; a lone surrogate in the body failed the hash)
    key = {"Idempotency-Key": "k-1"}
    r = api.client.post(
        "/api/v1/rounds/YN%00X/transitions",
        json={"to": "demand_open"},
        headers={**api.bureau, **key},
    )
    assert fields(r) == {"path.round_id": MESSAGE}
    r = api.client.post(
        "/api/v1/institutions",
        content=b'{"id": "H1", "name": "x\\ud800", "region": "KM"}',
        headers={**api.bureau, **key, "content-type": "application/json"},
    )
    assert fields(r) == {"body.name": SURROGATE}
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '"name": "Yunnan demonstration round 2027"', '"name": "R\\ud800x"', 1
    )
    r = api.client.post(
        "/api/v1/simulations",
        content=text.encode(),
        headers={**api.bureau, **key, "content-type": "application/json"},
    )
    assert fields(r) == {"round.name": SURROGATE}
