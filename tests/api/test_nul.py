"""The NUL character is refused wherever a request carries text (app.nul): a 422 naming the
field, the same on SQLite (which could store it) and PostgreSQL (which cannot)."""

import json
from pathlib import Path
from typing import Any

from tests.api.conftest import Api, assert_problem, group
from tests.api.test_bulk import upload_csv

R = "/api/v1/rounds/YN-2027-01"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
MESSAGE = "contains the NUL character (U+0000), which no field may hold"


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
