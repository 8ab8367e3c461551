"""Bulk demand uploads: JSON, CSV and multipart; all or nothing; every bad line reported."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.clock import FixedClock
from tests.api.conftest import (
    Api,
    assert_problem,
    at_once,
    bearer,
    create_bureau_token,
    group,
    make_app,
)
from tests.conftest import TestDatabase

R = "/api/v1/rounds/YN-2027-01"
GROUPS = [group(f"G{i}", f"generic-{i}") for i in range(1, 6)]


@pytest.fixture
def h1(api: Api) -> dict[str, str]:
    api.enterprise("E01")
    headers = api.institution("H001")
    api.open_demand(groups=GROUPS)
    return headers


def upload_csv(api: Api, headers: dict[str, str], text: str, **extra: str) -> Any:
    return api.client.post(
        f"{R}/demands:bulk",
        content=text.encode(),
        headers={**headers, "content-type": "text/csv", **extra},
    )


def stored(api: Api) -> dict[str, tuple[int, int, str | None]]:
    items = api.client.get(f"{R}/demands?limit=1000", headers=api.bureau).json()["items"]
    return {
        r["group_id"]: (r["reported"], r["last_year_usage"], r["preferred_enterprise"])
        for r in items
    }


def test_csv_upload(api: Api, h1: dict[str, str]) -> None:
    text = "group,reported,last_year_usage,preferred_enterprise\nG1,100,100,\nG2,50,100,E01\n"
    response = upload_csv(api, h1, text)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "round_id": "YN-2027-01",
        "institution_id": "H001",
        "lines": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "flagged": 1,
    }
    assert stored(api) == {"G1": (100, 100, None), "G2": (50, 100, "E01")}


def test_json_upload(api: Api, h1: dict[str, str]) -> None:
    lines = [
        {"group": "G1", "reported": 10, "last_year_usage": 10},
        {"group": "G3", "reported": 5, "last_year_usage": 0, "preferred_enterprise": "E01"},
    ]
    response = api.client.post(f"{R}/demands:bulk", json=lines, headers=h1)
    assert response.status_code == 200, response.text
    assert stored(api) == {"G1": (10, 10, None), "G3": (5, 0, "E01")}


def test_multipart_upload(api: Api, h1: dict[str, str]) -> None:
    files = {"file": ("demand.csv", b"group,reported,last_year_usage\nG4,7,8\n", "text/csv")}
    response = api.client.post(f"{R}/demands:bulk", files=files, headers=h1)
    assert response.status_code == 200, response.text
    assert stored(api) == {"G4": (7, 8, None)}


def test_every_bad_line_is_reported_and_nothing_is_stored(api: Api, h1: dict[str, str]) -> None:
    text = (
        "group,reported,last_year_usage,preferred_enterprise\n"  # line 1
        "G1,100,100,\n"  # 2: good
        "G9,100,100,\n"  # 3: unknown group
        "G2,-4,1.5,\n"  # 4: two bad volumes
        "G3,10,10,E77\n"  # 5: unknown enterprise
        "G1,1,1,\n"  # 6: second line for G1
        "G5,2000000000,1,\n"  # 7: over max_unit_volume
        "G4,1\n"  # 8: too few values
    )
    body = assert_problem(upload_csv(api, h1, text), 422, type_suffix="invalid-input")
    assert "nothing was stored" in body["detail"]
    got = {(e["line"], e["field"]) for e in body["errors"]}
    assert got == {
        (3, "group"),
        (4, "reported"),
        (4, "last_year_usage"),
        (5, "preferred_enterprise"),
        (6, "group"),
        (7, "reported"),
        (8, "(line)"),
    }
    line6 = next(e for e in body["errors"] if e["line"] == 6)
    assert "first at line 2" in line6["message"]
    assert stored(api) == {}


def audit_of_reports(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.client.get(
        "/api/v1/audit?entity_type=demand_report&limit=1000", headers=api.bureau
    ).json()["items"]
    return items


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lines per chunk: what a 100,000-line upload does, on a few lines."""
    from app import bulk_write
    from app.demand import service

    monkeypatch.setattr(service, "_CHECK_CHUNK", 2)
    monkeypatch.setattr(bulk_write, "_CHUNK", 2)


@pytest.mark.usefixtures("small_chunks")
def test_a_bad_line_after_chunks_were_written_stores_nothing(api: Api, h1: dict[str, str]) -> None:
    """The good chunks before the first bad line are already sent to the database; the bad
    line abandons them, and the lines after it are still checked."""
    text = (
        "group,reported,last_year_usage\n"
        "G1,10,10\nG2,10,10\n"  # chunk 1 (lines 2-3): written
        "G3,10,10\nG4,10,10\n"  # chunk 2 (lines 4-5): written
        "G1,5,5\nG5,x,1\n"  # chunk 3: line 6 repeats G1, line 7 a bad number
        "G9,1,1\n"  # chunk 4: line 8, an unknown group, still reported
    )
    body = assert_problem(upload_csv(api, h1, text), 422)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (6, "group"),
        (7, "reported"),
        (8, "group"),
    ]
    assert "first at line 2" in body["errors"][0]["message"]
    assert stored(api) == {}
    assert audit_of_reports(api) == []
    # the request's connection and transaction were left clean
    ok = upload_csv(api, h1, "group,reported,last_year_usage\nG1,10,10\nG2,10,10\nG3,1,1\n")
    assert ok.status_code == 200, ok.text
    assert set(stored(api)) == {"G1", "G2", "G3"}


@pytest.mark.usefixtures("small_chunks")
def test_chunks_of_new_changed_and_unchanged_reports(api: Api, h1: dict[str, str]) -> None:
    upload_csv(api, h1, "group,reported,last_year_usage\nG2,5,5\nG4,7,7\n")
    text = "group,reported,last_year_usage\n" + "".join(
        f"G{i},{i},{10 * i}\n" if i != 4 else "G4,7,7\n" for i in range(1, 6)
    )
    result = upload_csv(api, h1, text).json()
    assert (result["lines"], result["created"], result["updated"], result["unchanged"]) == (
        5,
        3,
        1,
        1,
    )
    assert result["flagged"] == 4  # every line but G4's is below 80 % of last year's usage
    assert stored(api) == {
        f"G{i}": (i, 10 * i, None) if i != 4 else (7, 7, None) for i in range(1, 6)
    }
    events = audit_of_reports(api)
    assert [e["entity_id"].rsplit("/", 1)[1] for e in events] == [
        "G2",
        "G4",
        "G1",
        "G2",
        "G3",
        "G5",
    ]
    assert events[3]["before"]["reported"] == 5 and events[3]["after"]["reported"] == 2


@pytest.mark.usefixtures("small_chunks")
def test_nothing_more_is_written_after_a_bad_line(
    api: Api, h1: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunks after the first bad line are checked, not sent to the database."""
    from app.demand import service

    sent: list[int] = []
    real = service.bulk_insert_chunks

    def spy(session: Any, table: Any, chunks: Any, **kw: Any) -> None:
        def counted() -> Any:
            for chunk in chunks:
                sent.append(len(chunk))
                yield chunk

        real(session, table, counted(), **kw)

    monkeypatch.setattr(service, "bulk_insert_chunks", spy)
    text = "group,reported,last_year_usage\nG1,1,1\nG2,1,1\nG3,1,1\nG4,x,1\nG5,1,1\n"
    body = assert_problem(upload_csv(api, h1, text), 422)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(5, "reported")]
    assert sent == [2]  # lines 2-3; not line 4 (the chunk of the bad line) nor line 6
    assert stored(api) == {}


def test_an_upload_with_a_parse_error_writes_nothing_and_lists_problems_in_line_order(
    api: Api, h1: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.demand import service

    calls: list[object] = []
    monkeypatch.setattr(service, "bulk_insert_chunks", lambda *a, **k: calls.append(a))
    text = "group,reported,last_year_usage\nG1,-1,1\nG2,1\nG3,1,1\nG4,1,one\n"
    body = assert_problem(upload_csv(api, h1, text), 422)
    # line 3 is a parse error (found first), lines 2 and 5 are checked afterwards
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (2, "reported"),
        (3, "(line)"),
        (5, "last_year_usage"),
    ]
    assert calls == []


def test_every_problem_of_a_line_is_reported(api: Api, h1: dict[str, str]) -> None:
    body = assert_problem(
        upload_csv(api, h1, "group,reported,last_year_usage,preferred_enterprise\nG1,-1,1,E77\n"),
        422,
    )
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (2, "reported"),
        (2, "preferred_enterprise"),
    ]


def test_json_lines_are_numbered_from_one(api: Api, h1: dict[str, str]) -> None:
    lines = [
        {"group": "G1", "reported": 1, "last_year_usage": 1},
        {"group": "G2", "reported": "1", "last_year_usage": 1, "colour": "red"},
        "not an object",
    ]
    body = assert_problem(api.client.post(f"{R}/demands:bulk", json=lines, headers=h1), 422)
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (2, "reported"),
        (2, "colour"),
        (3, "(line)"),
    }


def test_bad_header_is_reported_on_line_one(api: Api, h1: dict[str, str]) -> None:
    body = assert_problem(upload_csv(api, h1, "grp,reported\nG1,1\n"), 422)
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (1, "grp"),
        (1, "group"),
        (1, "last_year_usage"),
    }


def test_upload_replaces_earlier_reports(api: Api, h1: dict[str, str]) -> None:
    upload_csv(api, h1, "group,reported,last_year_usage\nG1,100,100\nG2,5,5\n")
    response = upload_csv(api, h1, "group,reported,last_year_usage\nG1,90,100\nG2,5,5\nG3,1,1\n")
    assert response.json()["created"] == 1
    assert response.json()["updated"] == 1
    assert response.json()["unchanged"] == 1
    assert stored(api)["G1"] == (90, 100, None)
    events = api.client.get(
        "/api/v1/audit?entity_type=demand_report&entity_id=YN-2027-01/H001/G1", headers=api.bureau
    ).json()["items"]
    assert [e["before"] and e["before"]["reported"] for e in events] == [None, 100]


def test_late_upload_is_409(api: Api, h1: dict[str, str], clock: FixedClock) -> None:
    from tests.api.conftest import DEMAND_CLOSES

    clock.set(DEMAND_CLOSES)
    body = assert_problem(upload_csv(api, h1, "group,reported,last_year_usage\nG1,1,1\n"), 409)
    assert "closed" in body["detail"]


def test_unsupported_media_type_is_415(api: Api, h1: dict[str, str]) -> None:
    response = api.client.post(
        f"{R}/demands:bulk", content=b"x", headers={**h1, "content-type": "application/xml"}
    )
    assert_problem(response, 415, type_suffix="unsupported-media-type")


def test_line_limit(database: TestDatabase, clock: FixedClock) -> None:
    app = make_app(database, clock, bulk_max_lines=3)
    with TestClient(app) as client:
        api = Api(client=client, bureau_token=create_bureau_token(database))
        h1 = api.institution("H001")
        api.open_demand(groups=GROUPS)
        ok = upload_csv(api, h1, "group,reported,last_year_usage\nG1,1,1\nG2,1,1\nG3,1,1\n")
        assert ok.status_code == 200, ok.text
        text = "group,reported,last_year_usage\n" + "".join(f"G{i},1,1\n" for i in range(1, 5))
        body = assert_problem(upload_csv(api, bearer(api.tokens["H001"]), text), 422)
        assert "at most 3" in body["detail"]


def test_a_large_upload_in_one_request(api: Api) -> None:
    """Many groups, one institution: the batched path (not timed; see the report for speed)."""
    groups = [group(f"G{i:05d}", f"g{i}") for i in range(600)]
    h1 = api.institution("H001")
    api.open_demand(groups=groups)
    text = "group,reported,last_year_usage\n" + "".join(
        f"G{i:05d},{i},{i + i // 3}\n" for i in range(600)
    )
    response = upload_csv(api, h1, text)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 600
    assert response.json()["flagged"] > 0


def test_simultaneous_uploads_of_one_institution_take_turns(api: Api, h1: dict[str, str]) -> None:
    """The same upload sent four times at once (a double click, a retry): each is stored or
    found unchanged, in turn; none fails on another's new reports (PostgreSQL: they take
    turns on the institution; SQLite: one writer at a time)."""
    text = "group,reported,last_year_usage\n" + "".join(f"G{i},{i},{i}\n" for i in range(1, 6))
    responses = at_once(
        api.client.app,
        4,
        lambda client: upload_csv(Api(client=client, bureau_token=api.bureau_token), h1, text),
    )
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    results = [r.json() for r in responses]
    assert sorted(r["created"] for r in results) == [0, 0, 0, 5]
    assert sorted(r["unchanged"] for r in results) == [0, 5, 5, 5]
    assert len(audit_of_reports(api)) == 5


def test_simultaneous_reports_of_one_new_group_take_turns(api: Api, h1: dict[str, str]) -> None:
    responses = at_once(
        api.client.app,
        4,
        lambda client: client.put(
            f"{R}/demands/G1", json={"reported": 10, "last_year_usage": 10}, headers=h1
        ),
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [
        r.text for r in responses
    ]
    assert len(audit_of_reports(api)) == 1


def test_a_number_too_long_to_read_is_a_bad_line_not_a_crash(api: Api, h1: dict[str, str]) -> None:
    """Python refuses to read an integer of more than 4,300 digits (a 500 before); such a value
    is over max_unit_volume, reported at its line, and zeros in front do not count."""
    huge = "9" * 5000
    padded = "0" * 5000 + "7"
    text = f"group,reported,last_year_usage\nG1,{huge},1\nG2,{padded},{padded}\n"
    body = assert_problem(upload_csv(api, h1, text), 422, type_suffix="invalid-input")
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(2, "reported")]
    assert "max_unit_volume" in body["errors"][0]["message"]

    raw = f'[{{"group": "G1", "reported": {huge}, "last_year_usage": 1}}]'.encode()
    response = api.client.post(
        f"{R}/demands:bulk",
        content=raw,
        headers={**h1, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, type_suffix="invalid-input")
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(1, "reported")]
    assert "max_unit_volume" in body["errors"][0]["message"]
    assert stored(api) == {}
