"""Engine, per-request session and migrations.

- `make_engine(url)`: SQLite gets foreign keys, WAL and one writer transaction at a time
  (`BEGIN IMMEDIATE`), so a request's reads and writes see one consistent database; PostgreSQL
  uses psycopg 3.
- `SessionDep`: one transaction per request. The session commits when the handler has returned
  (before the response is sent) and rolls back on any error. Services `flush()`, never
  `commit()`. A plain `def` handler that takes the session and returns a finished `Response`
  (bid receipts) commits it in its own thread as it returns (`commit_in_handler`, wired by
  app.routing.VbpRoute), which saves the request a trip to the threadpool and back; the
  dependency's exit then only closes it.
- `upgrade(url)`: `alembic upgrade head`, programmatically (the app never calls create_all()).
"""

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InvalidatePoolError
from sqlmodel import Session

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def normalise_url(url: str) -> str:
    """`postgresql://…` and `postgres://…` mean psycopg 3 here (psycopg2 is not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = 5, max_overflow: int = 10
) -> Engine:
    """`pool_size` + `max_overflow` connections at most (PostgreSQL): give the service as many
    as it runs requests at once (Settings.db_pool_size), so that no request waits for one."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow)
        _ping_when_idle(engine)
        return engine

    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # One writer at a time, taken at the start of the transaction: a request that reads
        # and then writes can never interleave with another writer (SQLite has no FOR UPDATE).
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# A pooled connection unused for this long is checked before it is handed out.
IDLE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, for idle connections only: one that lay in the pool
    for IDLE_PING_SECONDS or more (the database may have restarted meanwhile) is pinged at
    checkout; if the database went away, the whole pool is discarded (as `pool_pre_ping`
    does) and the request gets a new connection. `pool_pre_ping` would ping at every
    checkout: a round trip on every request, while a busy pool's connections were in use a
    moment ago. The price: a connection used within the last IDLE_PING_SECONDS is not
    checked, so right after a database restart one request per process can fail (500) on
    it; SQLAlchemy then discards the pool and the next request reconnects."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["vbp_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("vbp_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                # every pooled connection is as dead as this one: discard them all
                raise InvalidatePoolError(f"the database connection is gone: {exc}") from exc
            # this one is broken: the pool replaces it and checks out another
            raise DisconnectionError(f"idle connection is unusable: {exc}") from exc


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def _in_thread(fn: Callable[..., None], *args: Any) -> None:
    # A limiter of its own, not the threadpool's tokens: a request that holds a connection
    # must always be able to give it back, even when every token is taken by requests
    # waiting for a connection (FastAPI does the same for a plain generator's exit).
    await anyio.to_thread.run_sync(fn, *args, limiter=anyio.CapacityLimiter(1))


# session.info key: something still has to be written in this transaction after the handler
# (the idempotent response, app.routing), so the handler must not commit it
WRITES_AFTER_HANDLER = "vbp.writes_after_handler"


def commit_in_handler(session: Session) -> None:
    """Commit the request's transaction at the end of a plain `def` handler, in its thread,
    unless something is still to be written after the handler (see `get_session`)."""
    if not session.info.get(WRITES_AFTER_HANDLER):
        session.commit()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: commit on success, roll back on error.

    An async generator, because making a session does no I/O (it connects on first use, in
    the threadpool where the dependencies and handlers that use it run): only the commit or
    rollback goes to a thread, one trip instead of two."""
    engine: Engine = request.app.state.engine
    session = Session(engine, expire_on_commit=False)
    # the route class stores the idempotent response through the same session
    request.state.session = session
    try:
        yield session
    except BaseException:
        await _in_thread(_finish, session, False)
        raise
    else:
        if session.in_transaction():
            await _in_thread(_finish, session, True)
        else:
            # committed by the handler (commit_in_handler), or never used: the connection is
            # back in the pool, closing does no I/O
            session.close()


# scope="function": the session closes (and commits) when the handler returns, before the
# response is sent, so a client never sees a success that was not committed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # passed as an attribute, not an ini option, so '%' in a password needs no escaping
    config.attributes["database_url"] = normalise_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations (`alembic upgrade head`) to the database at `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
