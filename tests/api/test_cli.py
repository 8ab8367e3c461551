"""`vbp tokens create --role bureau --name NAME`: the token alone on the last line, and it works."""

import pytest
from fastapi.testclient import TestClient

from app.auth.cli import create_token_command
from app.clock import FixedClock
from tests.api.conftest import bearer, make_app
from tests.conftest import TestDatabase


def test_create_bureau_token(
    database: TestDatabase,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VBP_DATABASE_URL", database.url)
    assert create_token_command(role="bureau", name="alice") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    token = lines[-1]
    assert token.startswith("vbp_") and " " not in token
    assert all(token not in line for line in lines[:-1])
    with TestClient(make_app(database, clock)) as client:
        response = client.get("/api/v1/rounds", headers=bearer(token))
        assert response.status_code == 200
        trail = client.get("/api/v1/audit", headers=bearer(token)).json()["items"]
    assert trail[0]["actor_role"] == "system"
    assert trail[0]["after"]["name"] == "alice"


def test_migrates_an_empty_database_first(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    monkeypatch.setenv("VBP_DATABASE_URL", url)
    assert create_token_command(role="bureau", name="first") == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("vbp_")


def test_only_bureau_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    assert create_token_command(role="institution", name="x") == 2
    assert "bureau" in capsys.readouterr().err
