"""Alembic environment: the only way the schema changes.

The URL, first match wins: `config.attributes["database_url"]` (set by `app.db.upgrade`),
`-x url=…` on the command line, then `Settings().database_url` (VBP_DATABASE_URL).
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

import app.tables
from app.db import make_engine, normalise_url

config = context.config
if config.config_file_name is not None and not config.attributes.get("database_url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = app.tables.metadata


def _url() -> str:
    url = config.attributes.get("database_url") or context.get_x_argument(as_dictionary=True).get(
        "url"
    )
    if not url:
        from app.settings import Settings

        url = Settings().database_url
    return normalise_url(url)


def _configure(**kwargs: object) -> None:
    url = kwargs.get("url")
    connection = kwargs.get("connection")
    dialect = (
        connection.dialect.name
        if isinstance(connection, Connection)
        else str(url).split(":", 1)[0].split("+", 1)[0]
    )
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite alters tables by copying them ("batch" mode)
        render_as_batch=dialect == "sqlite",
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
