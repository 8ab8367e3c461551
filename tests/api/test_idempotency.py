"""Idempotency-Key on POST: the first response is replayed; nothing is created twice."""

from tests.api.conftest import Api, assert_problem, round_body

KEY = {"Idempotency-Key": "4f0c7d3e-retry-1"}


def test_replay_returns_the_first_response_and_creates_nothing_twice(api: Api) -> None:
    first = api.client.post("/api/v1/rounds", json=round_body(), headers={**api.bureau, **KEY})
    assert first.status_code == 201
    again = api.client.post("/api/v1/rounds", json=round_body(), headers={**api.bureau, **KEY})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    rounds = api.client.get("/api/v1/rounds", headers=api.bureau).json()["items"]
    assert len(rounds) == 1
    events = api.client.get("/api/v1/audit?entity_type=round", headers=api.bureau).json()["items"]
    assert len(events) == 1


def test_replay_of_a_transition_does_not_move_twice(api: Api) -> None:
    api.round()
    first = api.client.post(
        "/api/v1/rounds/YN-2027-01/transitions",
        json={"to": "demand_open"},
        headers={**api.bureau, **KEY},
    )
    again = api.client.post(
        "/api/v1/rounds/YN-2027-01/transitions",
        json={"to": "demand_open"},
        headers={**api.bureau, **KEY},
    )
    assert first.status_code == again.status_code == 200
    assert again.json()["state"] == "demand_open"
    # without the key the same request is a new, illegal move
    body = assert_problem(api.move("YN-2027-01", "demand_open"), 409)
    assert body["from_state"] == "demand_open"


def test_same_key_different_body_is_422(api: Api) -> None:
    api.client.post("/api/v1/rounds", json=round_body(), headers={**api.bureau, **KEY})
    response = api.client.post(
        "/api/v1/rounds", json=round_body("OTHER"), headers={**api.bureau, **KEY}
    )
    body = assert_problem(response, 422, type_suffix="idempotency-key-reused")
    assert "different request body" in body["detail"]


def test_a_retry_that_serialises_the_same_json_anew_replays(api: Api) -> None:
    headers = {**api.bureau, **KEY, "content-type": "application/json"}
    first = api.client.post(
        "/api/v1/institutions", content=b'{"id": "H1", "region": "KM"}', headers=headers
    )
    assert first.status_code == 201, first.text
    again = api.client.post(
        "/api/v1/institutions", content=b'{\n  "region":"KM",\n  "id":"H1"\n}', headers=headers
    )
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    # the same keys with another value are another request
    other = api.client.post(
        "/api/v1/institutions", content=b'{"region": "QJ", "id": "H1"}', headers=headers
    )
    assert_problem(other, 422, type_suffix="idempotency-key-reused")


def test_numbers_are_compared_as_written_not_as_floats(api: Api) -> None:
    # two prices a float cannot tell apart are two requests (a document's money may be a
    # JSON number, read exactly)
    headers = {**api.bureau, **KEY, "content-type": "application/json"}
    first = api.client.post("/api/v1/simulations", content=_document(b"0.2059"), headers=headers)
    assert first.status_code == 200, first.text
    again = api.client.post(
        "/api/v1/simulations", content=_document(b"0.20589999999999999"), headers=headers
    )
    assert_problem(again, 422, type_suffix="idempotency-key-reused")


def _document(ceiling: bytes) -> bytes:
    import json
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
    doc = json.loads(example.read_text(encoding="utf-8"))
    doc["groups"][0]["ceiling"] = "CEILING"
    return json.dumps(doc).encode().replace(b'"CEILING"', ceiling)


def test_same_key_other_route_is_422(api: Api) -> None:
    api.client.post(
        "/api/v1/institutions", json={"id": "H1", "region": "KM"}, headers={**api.bureau, **KEY}
    )
    response = api.client.post(
        "/api/v1/enterprises", json={"id": "E1"}, headers={**api.bureau, **KEY}
    )
    body = assert_problem(response, 422, type_suffix="idempotency-key-reused")
    assert "/api/v1/institutions" in body["detail"]


def test_a_failed_request_does_not_use_up_the_key(api: Api) -> None:
    bad = round_body(rules={"profile": "nope"})
    assert_problem(api.client.post("/api/v1/rounds", json=bad, headers={**api.bureau, **KEY}), 422)
    api.client.post("/api/v1/rounds", json=round_body(), headers=api.bureau)
    conflict = api.client.post("/api/v1/rounds", json=round_body(), headers={**api.bureau, **KEY})
    assert_problem(conflict, 409)


def test_keys_belong_to_one_actor(api: Api) -> None:
    h1 = api.institution("H1")
    h2 = api.institution("H2")
    api.open_demand()
    text = b"group,reported,last_year_usage\nAML-ORAL,1,1\n"
    for headers in (h1, h2):
        response = api.client.post(
            "/api/v1/rounds/YN-2027-01/demands:bulk",
            content=text,
            headers={**headers, **KEY, "content-type": "text/csv"},
        )
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers
    items = api.client.get("/api/v1/rounds/YN-2027-01/demands", headers=api.bureau).json()["items"]
    assert len(items) == 2


def test_a_replayed_token_is_not_shown_again(api: Api) -> None:
    api.client.post("/api/v1/institutions", json={"id": "H1", "region": "KM"}, headers=api.bureau)
    first = api.client.post(
        "/api/v1/institutions/H1/tokens", json={"name": "desk"}, headers={**api.bureau, **KEY}
    )
    again = api.client.post(
        "/api/v1/institutions/H1/tokens", json={"name": "desk"}, headers={**api.bureau, **KEY}
    )
    assert first.json()["token"].startswith("vbp_")
    assert again.status_code == 201
    assert again.json()["token"] is None
    assert again.json()["id"] == first.json()["id"]


def test_multipart_retry_with_a_new_boundary_replays(api: Api) -> None:
    h1 = api.institution("H1")
    api.open_demand()
    files = {"file": ("d.csv", b"group,reported,last_year_usage\nAML-ORAL,5,5\n", "text/csv")}
    url = "/api/v1/rounds/YN-2027-01/demands:bulk"
    first = api.client.post(url, files=files, headers={**h1, **KEY})
    again = api.client.post(url, files=files, headers={**h1, **KEY})
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"


def test_an_overlong_key_is_422(api: Api) -> None:
    response = api.client.post(
        "/api/v1/rounds", json=round_body(), headers={**api.bureau, "Idempotency-Key": "k" * 201}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "header.Idempotency-Key"
