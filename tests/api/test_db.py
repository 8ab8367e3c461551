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
