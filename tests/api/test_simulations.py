"""POST /api/v1/simulations (SPEC §11): the outcome of a round document, byte for byte what
`vbp simulate` prints, without touching any stored round."""

import json
import re
from pathlib import Path

import pytest
import yaml

from app.cli import main
from tests.api.conftest import Api, assert_problem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
SIMULATIONS = "/api/v1/simulations"


def _without_seconds(text: str) -> str:
    return re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)


def _printed(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["simulate", str(EXAMPLE), *args]) == 0
    return capsys.readouterr().out


def test_the_body_is_what_vbp_simulate_prints(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    r = api.client.post(
        SIMULATIONS,
        content=EXAMPLE.read_bytes(),
        headers={**api.bureau, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert _without_seconds(r.text) == _without_seconds(_printed(capsys))


def test_a_yaml_document_gives_the_same_outcome(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    text = yaml.safe_dump(json.loads(EXAMPLE.read_text()), allow_unicode=True)
    r = api.client.post(
        SIMULATIONS, content=text, headers={**api.bureau, "Content-Type": "application/yaml"}
    )
    assert r.status_code == 200, r.text
    assert _without_seconds(r.text) == _without_seconds(_printed(capsys))


def test_options_are_those_of_the_command(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    r = api.client.post(
        SIMULATIONS,
        params={"profile": "batch10", "allocation": "min_cost", "solver": "highs"},
        content=EXAMPLE.read_bytes(),
        headers={**api.bureau, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    expected = _printed(
        capsys, "--rules", "batch10", "--allocation", "min_cost", "--solver", "highs"
    )
    assert _without_seconds(r.text) == _without_seconds(expected)


def test_an_invalid_document_is_422_naming_each_path(api: Api) -> None:
    document = json.loads(EXAMPLE.read_text())
    document["bids"][3]["pack_price"] = "-1"
    document["demands"][0]["reported"] = 1.5
    r = api.client.post(SIMULATIONS, json=document, headers=api.bureau)
    problem = assert_problem(r, 422, type_suffix="invalid-input")
    assert {e["field"] for e in problem["errors"]} == {
        "bids[3].pack_price",
        "demands[0].reported",
    }


def test_an_unknown_profile_is_422(api: Api) -> None:
    r = api.client.post(
        SIMULATIONS,
        params={"profile": "batch99"},
        content=EXAMPLE.read_bytes(),
        headers={**api.bureau, "Content-Type": "application/json"},
    )
    # the caller sent it in the query, so the error names the query
    assert assert_problem(r, 422)["errors"][0]["field"] == "query.profile"
    document = json.loads(EXAMPLE.read_bytes())
    document["rules"]["profile"] = 7
    for params in ({}, {"profile": "batch10"}):  # the document's own problem, query or not
        r = api.client.post(SIMULATIONS, params=params, json=document, headers=api.bureau)
        assert assert_problem(r, 422)["errors"][0]["field"] == "rules.profile"


def test_max_share_needs_the_min_cost_allocation(api: Api) -> None:
    r = api.client.post(
        SIMULATIONS,
        params={"max_share": "0.5"},
        content=EXAMPLE.read_bytes(),
        headers={**api.bureau, "Content-Type": "application/json"},
    )
    assert assert_problem(r, 422)["errors"][0]["field"] == "query.max_share"


def test_invalid_yaml_is_422(api: Api) -> None:
    r = api.client.post(
        SIMULATIONS, content="round: [", headers={**api.bureau, "Content-Type": "application/yaml"}
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "body" and "YAML" in problem["errors"][0]["message"]


def test_a_simulation_stores_nothing(api: Api) -> None:
    api.client.post(
        SIMULATIONS,
        content=EXAMPLE.read_bytes(),
        headers={**api.bureau, "Content-Type": "application/json"},
    )
    assert api.client.get("/api/v1/rounds", headers=api.bureau).json()["items"] == []


def test_only_the_bureau_simulates(api: Api) -> None:
    headers = api.enterprise("E01")
    r = api.client.post(
        SIMULATIONS,
        content=EXAMPLE.read_bytes(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(r, 403, type_suffix="forbidden")
