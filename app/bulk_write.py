"""Writing many rows fast: PostgreSQL COPY, executemany elsewhere.

`bulk_insert(session, table, rows)` and `bulk_update(session, table, rows)` run inside the
session's transaction (one transaction per request still holds). Rows are dicts keyed by
column name, all with the same keys; values as the ORM would take them (aware datetimes,
enums, dicts for JSON columns, Decimals for DecimalText). No ORM objects are built, so a
100,000-line upload costs seconds, not minutes. The rows are not added to the session's
identity map: read them back with a query if you need them.
"""

import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.copy_text import copy_value as _text

Row = dict[str, Any]


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# rows per write: PostgreSQL inserts one chunk while the next is being encoded
_CHUNK = 500
_TEXT_CHUNK = 1 << 20
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# equal values that COPY must still write differently (Decimal("1.0") == Decimal("1.00"))
_UNCACHED = (Decimal, float)


def _encoder(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], str]:
    """Python value -> COPY text, after the column type's own bind processing (TypeDecorators,
    enums), as an INSERT would apply it; results of that processing are cached per value and
    type (bulk rows repeat many of theirs)."""
    if isinstance(column.type, sa.JSON):

        def encode_json(value: Any) -> str:
            return "\\N" if value is None else _text(_JSON(value))

        return encode_json
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return _text
    cache: dict[tuple[type, Any], str] = {}

    def encode(value: Any) -> str:
        if value is None or isinstance(value, _UNCACHED):
            return _text(value if value is None else processor(value))
        key = (type(value), value)
        try:
            text = cache.get(key)
        except TypeError:  # unhashable
            return _text(processor(value))
        if text is None:
            text = _text(processor(value))
            if len(cache) < 10_000:
                cache[key] = text
        return text

    return encode


def _encoded_column(encode: Callable[[Any], str], values: list[Any]) -> list[str]:
    """The column's values as COPY text; a column that holds one object throughout (the
    round, the actor, the time, None) is encoded once."""
    first = values[0]
    if len(set(map(id, values))) == 1:
        return [encode(first)] * len(values)
    return list(map(encode, values))


def _copy(session: Session, table_name: str, table: sa.Table, rows: Sequence[Row]) -> None:
    names = list(rows[0])
    dialect = session.get_bind().dialect
    encoders = [(name, _encoder(table.c[name], dialect)) for name in names]
    driver = session.connection().connection.driver_connection
    assert driver is not None
    column_list = ", ".join(f'"{name}"' for name in names)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table_name}" ({column_list}) FROM STDIN') as copy,
    ):
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            columns = [
                _encoded_column(encode, [row[name] for row in chunk]) for name, encode in encoders
            ]
            copy.write("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")


def copy_prepared(session: Session, table: sa.Table, columns: Sequence[str], text: str) -> None:
    """COPY text prepared elsewhere (app.copy_text.copy_lines, e.g. in the award's worker
    process) into `table`: PostgreSQL only."""
    session.flush()  # pending ORM changes first, in order
    driver = session.connection().connection.driver_connection
    assert driver is not None
    column_list = ", ".join(f'"{name}"' for name in columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy,
    ):
        for start in range(0, len(text), _TEXT_CHUNK):
            copy.write(text[start : start + _TEXT_CHUNK])


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[Row]) -> None:
    if not rows:
        return
    if _is_postgresql(session):
        session.flush()  # pending ORM changes first, in order
        _copy(session, table.name, table, rows)
    else:
        session.execute(sa.insert(table), list(rows))


def bulk_update(session: Session, table: sa.Table, rows: Sequence[Row], *, key: str = "id") -> None:
    """Update rows identified by `key` (each row holds the key and the columns to set)."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if not _is_postgresql(session):
        renamed = [{**{n: r[n] for n in names}, "_key": r[key]} for r in rows]
        session.execute(
            sa.update(table).where(table.c[key] == sa.bindparam("_key")),
            renamed,
            execution_options={"synchronize_session": False},
        )
        return
    session.flush()
    staging = f"bulk_{table.name}_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(f'"{n}"' for n in [key, *names])
    session.execute(
        sa.text(
            f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS '
            f'SELECT {columns} FROM "{table.name}" WITH NO DATA'
        )
    )
    _copy(session, staging, table, rows)
    assignments = ", ".join(f'"{n}" = s."{n}"' for n in names)
    session.execute(
        sa.text(
            f'UPDATE "{table.name}" AS t SET {assignments} '
            f'FROM "{staging}" AS s WHERE t."{key}" = s."{key}"'
        )
    )
    session.execute(sa.text(f'DROP TABLE "{staging}"'))
