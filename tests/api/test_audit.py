"""The audit trail: every change, with actor, time, entity and before/after; bureau only."""

from typing import Any

from app.audit import service as audit
from tests.api.conftest import Api, assert_problem


def events(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = api.client.get(f"/api/v1/audit{query}", headers=api.bureau)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_every_change_is_recorded(api: Api) -> None:
    h1 = api.institution("H001")
    api.open_demand()
    api.report(h1, "AML-ORAL", 10, 100)
    kinds = [(e["entity_type"], e["action"]) for e in events(api)]
    assert kinds == [
        ("institution", "register"),
        ("api_token", "issue"),
        ("round", "create"),
        ("group", "create"),
        ("round", "transition"),
        ("demand_report", "report"),
    ]
    report = events(api, "?entity_type=demand_report")[0]
    assert report["actor_role"] == "institution"
    assert report["actor_id"] == "H001"
    assert report["round_id"] == "YN-2027-01"
    assert report["after"]["reported"] == 10
    assert report["after"]["flagged"] is True


def test_tokens_never_reach_the_trail(api: Api) -> None:
    api.institution("H001")
    text = str(events(api))
    assert api.tokens["H001"] not in text
    assert "token_hash" not in text


def test_filters_and_pages(api: Api) -> None:
    api.round("R1")
    api.round("R2")
    assert {e["round_id"] for e in events(api, "?round_id=R2")} == {"R2"}
    assert [e["entity_id"] for e in events(api, "?entity_type=group&round_id=R1")] == [
        "R1/AML-ORAL"
    ]
    page = api.client.get("/api/v1/audit?limit=3", headers=api.bureau).json()
    assert len(page["items"]) == 3
    rest = events(api, f"?cursor={page['next_cursor']}")
    assert [e["id"] for e in page["items"] + rest] == [e["id"] for e in events(api)]


def test_the_documented_entity_id_finds_its_events(api: Api) -> None:
    # the example once left out the round, and a client following it found nothing
    h1 = api.institution("H001")
    api.open_demand()
    assert api.report(h1, "AML-ORAL", 100, 100).status_code in (200, 201)
    openapi = api.client.get("/openapi.json").json()
    (entity_id,) = next(
        p["schema"]["examples"]
        for p in openapi["paths"]["/api/v1/audit"]["get"]["parameters"]
        if p["name"] == "entity_id"
    )
    assert entity_id == "YN-2027-01/H001/AML-ORAL"
    found = events(api, f"?entity_type=demand_report&entity_id={entity_id}")
    assert [e["action"] for e in found] == ["report"], found


def test_bad_cursor_is_422(api: Api) -> None:
    body = assert_problem(api.client.get("/api/v1/audit?cursor=abc", headers=api.bureau), 422)
    assert body["errors"][0]["field"] == "query.cursor"


def test_only_the_bureau_reads_the_trail(api: Api) -> None:
    h1 = api.institution("H001")
    assert_problem(api.client.get("/api/v1/audit", headers=h1), 403)


def test_redactors_seal_fields_before_they_are_stored() -> None:
    seal = audit.redact_fields("pack_price")
    payload = {"pack_price": "9.80", "product": {"pack_price": "1", "strength": "5"}, "n": [1]}
    assert seal(payload) == {
        "pack_price": "[sealed]",
        "product": {"pack_price": "[sealed]", "strength": "5"},
        "n": [1],
    }


def test_money_in_snapshots_stays_exact_text() -> None:
    from decimal import Decimal

    from app.audit.service import snapshot

    assert snapshot({"ceiling": Decimal("0.5000"), "amount": Decimal("17295.60")}) == {
        "ceiling": "0.5000",
        "amount": "17295.60",
    }
