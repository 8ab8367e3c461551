"""Every error is RFC 9457 problem+json: routing errors, validation, and unexpected ones."""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.deps import public
from tests.api.conftest import Api, assert_problem


def test_unknown_route_is_404(api: Api) -> None:
    body = assert_problem(api.client.get("/api/v1/nothing-here", headers=api.bureau), 404)
    assert body["type"] == "about:blank"
    assert "/api/v1/nothing-here" in body["detail"]


def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = api.client.delete("/api/v1/rounds", headers=api.bureau)
    body = assert_problem(response, 405)
    assert "DELETE" in body["detail"]
    assert "POST" in response.headers["allow"]


def test_validation_error_names_the_field(api: Api) -> None:
    api.institution("H001")
    api.open_demand()
    response = api.client.put(
        "/api/v1/rounds/YN-2027-01/demands/AML-ORAL",
        json={"reported": -5, "last_year_usage": "lots"},
        headers=api.actor("H001"),
    )
    body = assert_problem(response, 422, type_suffix="invalid-input")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"body.reported", "body.last_year_usage"}
    assert "greater than or equal to 0" in fields["body.reported"]


def test_nested_fields_are_named_by_path(api: Api) -> None:
    bad_group = {
        "id": "G",
        "generic_names": ["x"],
        "form_family": "oral_regular",
        "representative": {"strength": "0", "strength_unit": "mg", "dosage_form": "t"},
        "ceiling": "1",
        "pre_vbp_unit_price": "1",
    }
    response = api.client.post(
        "/api/v1/rounds", json={"id": "R", "groups": [bad_group]}, headers=api.bureau
    )
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "field": "body.groups[0].representative.strength",
            "message": "must be a positive decimal, got '0'",
        }
    ]


def test_unknown_fields_are_refused(api: Api) -> None:
    response = api.client.post(
        "/api/v1/institutions", json={"id": "H1", "region": "KM", "beds": 300}, headers=api.bureau
    )
    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "body.beds", "message": "unknown field"}]


def test_malformed_json_is_422(api: Api) -> None:
    response = api.client.post(
        "/api/v1/institutions",
        content=b'{"id": ',
        headers={**api.bureau, "content-type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["message"].startswith("invalid JSON")


def test_a_500_leaks_nothing(app: FastAPI) -> None:
    @app.get("/api/v1/explode", dependencies=[__import__("fastapi").Depends(public)])
    def explode() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 7")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/explode")
    body = assert_problem(response, 500, type_suffix="internal-error")
    assert "hunter2" not in response.text
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert body["title"] == "Internal server error"


def test_health(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_documents_problems_and_roles(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/rounds/{round_id}/transitions"]["post"]
    assert operation["x-roles"] == ["bureau"]
    assert "application/problem+json" in operation["responses"]["409"]["content"]
    assert "Problem" in schema["components"]["schemas"]
    assert api.client.get("/docs").status_code == 200


def test_openapi_lists_every_tag_in_the_order_of_a_round(api: Api) -> None:
    """The routers are matched hottest first; the docs keep a round's order through `tags`."""
    schema = api.client.get("/openapi.json").json()
    declared = [t["name"] for t in schema["tags"]]
    used = {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    assert used <= set(declared), f"tags missing from openapi tags: {used - set(declared)}"
    assert declared[:3] == ["health", "actors", "rounds"]


HUGE = 2**64  # beyond SQLite's INTEGER (and PostgreSQL's bigint): once a 500 from the driver


def test_ids_beyond_what_the_database_stores_are_invalid_not_a_crash(api: Api) -> None:
    bureau = api.bureau
    institution = api.institution("H001")
    for method, path, field in [
        ("GET", f"/api/v1/orders/{HUGE}", "path.order_id"),
        ("GET", "/api/v1/orders/0", "path.order_id"),
        ("POST", f"/api/v1/orders/{HUGE}/acceptance", "path.order_id"),
        ("GET", f"/api/v1/invoices/{HUGE}", "path.invoice_id"),
        ("GET", f"/api/v1/contracts/{HUGE}", "path.contract_id"),
        ("GET", f"/api/v1/jobs/{HUGE}", "path.job_id"),
        ("GET", f"/api/v1/agreement-year-jobs/{-HUGE}", "path.job_id"),
        ("DELETE", f"/api/v1/tokens/{HUGE}", "path.token_id"),
        ("GET", f"/api/v1/orders?contract_id={HUGE}", "query.contract_id"),
        ("GET", f"/api/v1/contracts?year={HUGE}", "query.year"),
    ]:
        headers = institution if path.endswith("/acceptance") else bureau
        response = api.client.request(method, path, headers=headers, json={})
        body = assert_problem(response, 422, type_suffix="invalid-input")
        assert field in {e["field"] for e in body["errors"]}, (path, body)
    response = api.client.post(
        "/api/v1/orders", json={"contract_id": HUGE, "volume": 1}, headers=institution
    )
    body = assert_problem(response, 422, type_suffix="invalid-input")
    assert [e["field"] for e in body["errors"]] == ["body.contract_id"]


def test_a_cursor_must_be_a_page_s_cursor(api: Api) -> None:
    api.round()
    for cursor in ("²", "¹²", str(HUGE), "-1", "12a"):
        for path in ("/api/v1/audit", "/api/v1/rounds/YN-2027-01/demands", "/api/v1/orders"):
            response = api.client.get(path, params={"cursor": cursor}, headers=api.bureau)
            body = assert_problem(response, 422, type_suffix="invalid-input")
            assert [e["field"] for e in body["errors"]] == ["query.cursor"], (path, cursor)


def test_a_round_name_can_be_emptied_but_not_nulled(api: Api) -> None:
    api.round()
    response = api.client.patch(
        "/api/v1/rounds/YN-2027-01", json={"name": None}, headers=api.bureau
    )
    body = assert_problem(response, 422, type_suffix="invalid-input")
    assert [e["field"] for e in body["errors"]] == ["body.name"]
    response = api.client.patch("/api/v1/rounds/YN-2027-01", json={"name": ""}, headers=api.bureau)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == ""


def test_a_body_that_is_not_utf8_or_has_an_unreadable_number_is_422_naming_the_body(
    api: Api,
) -> None:
    api.round()
    for content in (
        b"\xff",
        b'{"name": "\xe4\xb8"}',
        b'{"name": "x", "n": ' + b"9" * 5000 + b"}",
        b"[" * 100_000,  # nested beyond what the decoder recurses into
    ):
        response = api.client.patch(
            "/api/v1/rounds/YN-2027-01",
            content=content,
            headers={**api.bureau, "Content-Type": "application/json"},
        )
        body = assert_problem(response, 422, type_suffix="invalid-input")
        assert [e["field"] for e in body["errors"]] == ["body"], body


def test_a_json_body_sent_as_another_media_type_is_415_after_authentication(api: Api) -> None:
    body = b'{"id": "H1", "region": "KM"}'
    for content_type, sent in (("text/plain", "text/plain"),
                               ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
                               (None, "none")):  # fmt: skip
        headers = {**api.bureau, **({"content-type": content_type} if content_type else {})}
        r = api.client.post("/api/v1/institutions", content=body, headers=headers)
        problem = assert_problem(r, 415, type_suffix="unsupported-media-type")
        assert problem["detail"].endswith(f"(this request sent {sent})"), problem
    # who may call comes first: no token is 401 whatever the body
    r = api.client.post(
        "/api/v1/institutions", content=body, headers={"content-type": "text/plain"}
    )
    assert_problem(r, 401)
    # JSON under its structured-syntax suffix is JSON
    r = api.client.post(
        "/api/v1/institutions",
        content=body,
        headers={**api.bureau, "content-type": "application/vnd.api+json"},
    )
    assert r.status_code == 201, r.text


def test_a_body_beyond_the_limit_is_413_announced_or_not(database: Any, clock: Any) -> None:
    from tests.api.conftest import bearer, create_bureau_token, make_app

    app = make_app(database, clock, max_body_bytes=1000)
    headers = {**bearer(create_bureau_token(database)), "content-type": "application/json"}
    big = b'{"id": "H1", "region": "KM", "name": "' + b"x" * 2000 + b'"}'
    with TestClient(app) as client:
        announced = client.post("/api/v1/institutions", content=big, headers=headers)
        chunked = client.post(
            "/api/v1/simulations",
            content=(big[i : i + 100] for i in range(0, len(big), 100)),  # no Content-Length
            headers=headers,
        )
        for r in (announced, chunked):
            problem = assert_problem(r, 413, type_suffix="body-too-large")
            assert problem["detail"] == "the request body may hold at most 1,000 bytes"
        small = client.post(
            "/api/v1/institutions", json={"id": "H1", "region": "KM"}, headers=headers
        )
        assert small.status_code == 201, small.text
