"""examples/walkthrough.py drives a whole round against a real server: uvicorn on a free
loopback port, the system clock, and award jobs in the worker process (the default)."""

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from app.main import create_app
from tests.api.conftest import create_bureau_token
from tests.api.test_bids_support import WorkerSettings
from tests.conftest import TestDatabase

WALKTHROUGH = Path(__file__).resolve().parents[2] / "examples" / "walkthrough.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("walkthrough", WALKTHROUGH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(database: TestDatabase) -> Iterator[str]:
    """The service on a free loopback port, in a thread; yields its base URL."""
    app = create_app(
        WorkerSettings(database_url=database.url, award_worker="process"), engine=database.engine
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: the server starts in well under a second
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


def test_the_walkthrough_runs_a_whole_round(server: str, database: TestDatabase) -> None:
    walkthrough = _load()
    lines: list[str] = []
    result: dict[str, Any] = walkthrough.run(
        server, create_bureau_token(database), tag="T", out=lines.append, poll_interval=0.05
    )
    groups = {g["id"]: g for g in result["outcome"]["groups"]}
    assert [(w["enterprise"], w["price"]) for w in groups["AML-ORAL"]["winners"]] == [
        ("E2-T", "0.1200"),
        ("E3-T", "0.1250"),
    ]
    assert [w["enterprise"] for w in groups["MET-SR"]["winners"]] == ["E2-T"]
    assert result["job"]["status"] == "succeeded"
    e1 = result["views"]["E1-T"]
    assert e1["bids"][0]["reason"] == "over_cap" and e1["allocations"] == []
    h1 = result["views"]["H1-T"]
    assert {a["institution"] for a in h1["allocations"]} == {"H1-T"}
    assert h1["contract"]["annual_contract_amount"] == next(
        i["annual_contract_amount"] for i in result["outcome"]["institutions"] if i["id"] == "H1-T"
    )
    assert any("refused" in line and "serious" in line for line in lines)
    assert any("late bid" in line and "409" in line for line in lines)
    assert any("price=None" in line for line in lines)  # the sealed list
