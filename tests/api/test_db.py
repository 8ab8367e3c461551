"""The connection pool: idle connections are checked before use, busy ones are not pinged."""

from typing import Any

import pytest

from app import db
from tests.conftest import TestDatabase


def _pg_only(database: TestDatabase) -> None:
    if database.backend != "postgresql":
        pytest.skip("SQLite has no server connection to lose")


def test_an_idle_connection_that_died_is_replaced_before_use(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pg_only(database)
    assert database.engine is not None
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    engine = db.make_engine(database.url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with database.engine.connect() as admin:  # the server restarts, say
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            admin.commit()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pg_only(database)
    engine = db.make_engine(database.url, pool_size=1, max_overflow=0)
    pings: list[Any] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    try:
        for _ in range(3):
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        assert pings == []
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert len(pings) == 1
    finally:
        engine.dispose()


# -- one transaction per request: where the commit happens -----------------------------------


def _probe_app(database: TestDatabase) -> tuple[Any, str]:
    """The service with three test-only routes that each write an audit event, then return a
    finished Response, return a result that fails the response model, or raise."""
    from fastapi import Response
    from pydantic import BaseModel
    from sqlmodel import Session

    from app.audit import service as audit
    from app.auth.deps import BureauPrincipal
    from app.clock import FixedClock
    from app.db import SessionDep
    from app.routing import make_router
    from tests.api.conftest import T0, create_bureau_token, make_app

    class Out(BaseModel):
        n: int

    router = make_router(prefix="/probe")

    def write(session: Session, principal: Any, entity_id: str) -> None:
        audit.record(session, actor=principal, now=T0, action="probe", entity_type="probe",
                     entity_id=entity_id)  # fmt: skip
        session.flush()

    @router.post("/response", response_model=Out)
    def as_response(session: SessionDep, principal: BureauPrincipal) -> Response:
        write(session, principal, "response")
        return Response('{"n": 1}', media_type="application/json")

    @router.post("/invalid", response_model=Out)
    def invalid(session: SessionDep, principal: BureauPrincipal) -> Any:
        write(session, principal, "invalid")
        return {"n": "not a number"}

    @router.post("/raises", response_model=Out)
    def raises(session: SessionDep, principal: BureauPrincipal) -> Any:
        write(session, principal, "raises")
        raise RuntimeError("after the write")

    app = make_app(database, FixedClock(T0))
    app.include_router(router)
    return app, create_bureau_token(database)


def test_a_write_is_committed_only_with_a_good_response(database: TestDatabase) -> None:
    from fastapi.testclient import TestClient
    from sqlmodel import Session, select

    from app.audit.models import AuditEvent

    app, token = _probe_app(database)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/probe/response", headers=headers).status_code == 200
        assert client.post("/probe/invalid", headers=headers).status_code == 500
        assert client.post("/probe/raises", headers=headers).status_code == 500
        engine = app.state.engine
    with Session(engine) as session:
        written = session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "probe"))
        assert sorted(written) == ["response"]


def test_only_plain_functions_commit_in_their_thread() -> None:
    import functools

    from app.routing import _is_plain_function

    async def coroutine() -> None: ...

    @functools.wraps(coroutine)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return coroutine(*args, **kwargs)

    def generator() -> Any:
        yield 1

    def plain() -> None: ...

    assert _is_plain_function(plain)
    assert not _is_plain_function(coroutine)
    assert not _is_plain_function(wrapped)
    assert not _is_plain_function(generator)
