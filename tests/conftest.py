"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

- SQLite always: the migrations run once per worker into a template file, and each test gets
  a copy of it (a fresh database in about a millisecond).
- PostgreSQL when VBP_TEST_DATABASE_URL is set: each pytest-xdist worker creates its own
  database on that server (`<name>_<worker>_<pid>`, dropped at the end; leftovers of killed
  runs are dropped by the next run), migrates it once, and every test starts by emptying all
  tables. Workers, and concurrent test runs, never share a database.

`database` is parametrised with the ids "sqlite" and "postgresql"; a test that takes it (or a
fixture built on it, such as tests/api's `client`) runs once per backend.
"""

import os
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "VBP_TEST_DATABASE_URL"

# the pinned httpx works; Starlette merely announces its successor (also set in
# pytest_configure, for the test phases)
_HTTPX_NOTICE = "Using `httpx` with `starlette.testclient`"
warnings.filterwarnings("ignore", message=_HTTPX_NOTICE, category=UserWarning)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", f"ignore:{_HTTPX_NOTICE}:UserWarning")


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@dataclass
class TestDatabase:
    backend: str
    url: str
    # shared by the tests of one worker (PostgreSQL), or None: the app makes its own
    engine: Engine | None = None

    __test__ = False  # not a test class


def _admin_engine(base_url: str) -> Engine:
    """Connected to the server's maintenance database, so the database that `base_url` names
    need not exist."""
    from app.db import normalise_url

    url = make_url(normalise_url(base_url)).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_pg_database(base_url: str, name: str) -> str:
    """A new, empty PostgreSQL database next to the one `base_url` names; returns its URL."""
    from app.db import normalise_url

    admin = _admin_engine(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return (
        make_url(normalise_url(base_url)).set(database=name).render_as_string(hide_password=False)
    )


def drop_pg_database(base_url: str, name: str) -> None:
    admin = _admin_engine(base_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _base_name() -> str:
    return make_url(os.environ[PG_ENV]).database or "vbp_test"


def worker_database_name(worker_id: str, suffix: str = "") -> str:
    return f"{_base_name()}_{worker_id}_{os.getpid()}{suffix}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_databases(base_url: str) -> None:
    """Databases of test runs that were killed before they could drop them."""
    pattern = re.compile(rf"^{re.escape(_base_name())}_(?:gw\d+|master)_(\d+)(?:_migrations)?$")
    admin = _admin_engine(base_url)
    try:
        with admin.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database")).scalars().all()
            for name in names:
                match = pattern.match(name)
                if match and not _pid_alive(int(match.group(1))):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.db import upgrade

    path = tmp_path_factory.mktemp("template") / "vbp.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_worker_engine(worker_id: str) -> Iterator[Engine]:
    from app.db import make_engine, upgrade

    base = os.environ[PG_ENV]
    drop_stale_databases(base)
    name = worker_database_name(worker_id)
    url = create_pg_database(base, name)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_pg_database(base, name)


def empty_all_tables(engine: Engine) -> None:
    """DELETE with triggers off (the audit trail's append-only trigger, foreign keys): a
    few milliseconds, where TRUNCATE takes tens."""
    from app.tables import metadata

    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def fresh_database(request: pytest.FixtureRequest, backend: str, directory: Path) -> TestDatabase:
    if backend == "sqlite":
        path = directory / "vbp.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return TestDatabase("sqlite", f"sqlite:///{path}")
    engine: Engine = request.getfixturevalue("pg_worker_engine")
    empty_all_tables(engine)
    return TestDatabase("postgresql", engine.url.render_as_string(hide_password=False), engine)


@pytest.fixture(params=backends())
def database(request: pytest.FixtureRequest, tmp_path: Path) -> TestDatabase:
    """A fresh database with every migration applied."""
    return fresh_database(request, request.param, tmp_path)


@pytest.fixture(params=backends())
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, worker_id: str
) -> Iterator[str]:
    """An empty database (no migrations), for the migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = os.environ[PG_ENV]
    name = worker_database_name(worker_id, "_migrations")
    yield create_pg_database(base, name)
    drop_pg_database(base, name)
