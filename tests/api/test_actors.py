"""Registering institutions and enterprises, and their tokens."""

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import hash_token
from app.db import make_engine
from tests.api.conftest import Api, assert_created_once, assert_problem, at_once, bearer
from tests.conftest import TestDatabase


def test_register_institution_and_read_it(api: Api) -> None:
    api.institution("H001", region="KM")
    response = api.client.get("/api/v1/institutions/H001", headers=api.bureau)
    assert response.status_code == 200
    assert response.json()["region"] == "KM"


def test_register_twice_is_409(api: Api) -> None:
    api.institution("H001")
    response = api.client.post(
        "/api/v1/institutions", json={"id": "H001", "region": "KM"}, headers=api.bureau
    )
    body = assert_problem(response, 409, type_suffix="already-exists")
    assert "H001" in body["detail"]


def test_an_institution_reads_itself_only(api: Api) -> None:
    h1 = api.institution("H001")
    api.institution("H002")
    assert api.client.get("/api/v1/institutions/H001", headers=h1).status_code == 200
    body = assert_problem(api.client.get("/api/v1/institutions/H002", headers=h1), 404)
    assert "H002" in body["detail"]


def test_an_enterprise_token_works_and_has_its_role(api: Api) -> None:
    e1 = api.enterprise("E01", credit_level="general")
    response = api.client.get("/api/v1/enterprises/E01", headers=e1)
    assert response.json()["credit_level"] == "general"
    assert_problem(api.client.post("/api/v1/rounds", json={}, headers=e1), 403)


def test_tokens_for_unknown_actors_are_404(api: Api) -> None:
    response = api.client.post(
        "/api/v1/institutions/NOPE/tokens", json={"name": "x"}, headers=api.bureau
    )
    body = assert_problem(response, 404, type_suffix="not-found")
    assert "NOPE" in body["detail"]


def test_tokens_are_stored_hashed(api: Api, database: TestDatabase) -> None:
    api.institution("H001")
    token = api.tokens["H001"]
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        stored = set(session.execute(text("SELECT token_hash FROM api_tokens")).scalars())
    assert token not in stored
    assert hash_token(token) in stored
    assert all(len(h) == 64 for h in stored)


def test_revoked_token_is_401(api: Api) -> None:
    h1 = api.institution("H001")
    token_id = api.client.get("/api/v1/audit?entity_type=api_token", headers=api.bureau).json()[
        "items"
    ][-1]["entity_id"]
    response = api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.bureau)
    assert response.status_code == 204
    body = assert_problem(api.client.get("/api/v1/institutions/H001", headers=h1), 401)
    assert "revoked" in body["detail"]


def test_lists_are_paginated(api: Api) -> None:
    for i in range(5):
        api.client.post(
            "/api/v1/enterprises", json={"id": f"E{i}", "name": "x"}, headers=api.bureau
        )
    first = api.client.get("/api/v1/enterprises?limit=3", headers=api.bureau).json()
    assert [e["id"] for e in first["items"]] == ["E0", "E1", "E2"]
    rest = api.client.get(
        f"/api/v1/enterprises?limit=3&cursor={first['next_cursor']}", headers=api.bureau
    ).json()
    assert [e["id"] for e in rest["items"]] == ["E3", "E4"]
    assert rest["next_cursor"] is None


def test_malformed_authorization_header_is_401(api: Api) -> None:
    response = api.client.get("/api/v1/rounds", headers={"Authorization": "Basic abc"})
    assert_problem(response, 401)
    assert_problem(api.client.get("/api/v1/rounds", headers=bearer("")), 401)


@pytest.mark.parametrize(
    ("kind", "entity_type", "body"),
    [
        ("institutions", "institution", {"id": "H001", "name": "Hospital H001", "region": "KM"}),
        ("enterprises", "enterprise", {"id": "E01", "name": "Pharma E01"}),
    ],
)
def test_simultaneous_registrations_of_one_id_register_it_once(
    api: Api, kind: str, entity_type: str, body: dict[str, str]
) -> None:
    """The same registration sent four times at once (a double click, a retry): one 201, the
    others 409 naming the id, never a 500 (PostgreSQL: each found no row, and the later
    inserts failed on the first one's)."""
    responses = at_once(
        api.client.app,
        4,
        lambda client: client.post(f"/api/v1/{kind}", json=body, headers=api.bureau),
    )
    assert_created_once(responses, f"{body['id']!r} is already registered")
    events = api.client.get(
        f"/api/v1/audit?entity_type={entity_type}&entity_id={body['id']}", headers=api.bureau
    ).json()["items"]
    assert [e["action"] for e in events] == ["register"]
