"""Writing many rows fast: PostgreSQL COPY, executemany elsewhere.

`bulk_insert(session, table, rows)`, `bulk_insert_chunks(session, table, chunks)` (rows made
a chunk at a time, e.g. over `chunked(items)`) and `bulk_update(session, table, rows)` run
inside the session's transaction (one transaction per request still holds). Rows are dicts
keyed by column name, all with the same keys; values as the ORM would take them (aware
datetimes, enums, dicts for JSON columns, Decimals for DecimalText). A chunk may also be
given column by column (`Columns`), which saves a writer that has its values that way from
building a dict per row. No ORM objects are built, so a 100,000-line upload costs seconds,
not minutes. The rows are not added to the session's identity map: read them back with a
query if you need them.
"""

import itertools
import json
import operator
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.copy_text import NEEDS_ESCAPE as _NEEDS_ESCAPE
from app.copy_text import copy_value as _text

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Columns:
    """A chunk of rows given column by column: `varying` maps columns to their values (one
    per row, all as long), `same` maps columns to the one value every row has (encoded
    once). Its length is the number of rows."""

    varying: Mapping[str, Sequence[Any]]
    same: Mapping[str, Any]

    def __len__(self) -> int:
        return len(next(iter(self.varying.values()), ()))

    @property
    def names(self) -> list[str]:
        return [*self.varying, *self.same]

    def rows(self) -> list[Row]:
        names = list(self.varying)
        return [
            {**dict(zip(names, values, strict=True)), **self.same}
            for values in zip(*self.varying.values(), strict=True)
        ]


Chunk = Sequence[Row] | Columns


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# rows per write: PostgreSQL inserts one chunk while the next is being encoded
_CHUNK = 500
_TEXT_CHUNK = 1 << 20
_STDLIB_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json(value: Any) -> str:
    """Compact JSON, non-ASCII as is. orjson (C) where it can: the audit events of a
    100,000-line upload hold 100,000 small objects, which the standard library's encoder
    made a sixth of the upload's time. Values orjson refuses (integers beyond 64 bits,
    non-string keys) go to the standard library."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _STDLIB_JSON(value)


# equal values that COPY must still write differently (Decimal("1.0") == Decimal("1.00"))
_UNCACHED = (Decimal, float)


def _encode_json(value: Any) -> str:
    return "\\N" if value is None else _text(_json(value))


def _encoder(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], str]:
    """Python value -> COPY text, after the column type's own bind processing (TypeDecorators,
    enums), as an INSERT would apply it; results of that processing are cached per value and
    type (bulk rows repeat many of theirs)."""
    if isinstance(column.type, sa.JSON):
        return _encode_json
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
    """The column's values as COPY text. A column that holds one object throughout (the
    round, the actor, the time, None) is encoded once; whole numbers and strings in a column
    the database takes as they are (`encode` is `_text`) are converted by C loops, a string
    column (or JSON column) escaped value by value only if some value needs it."""
    first = values[0]
    if all(map(operator.is_, values, itertools.repeat(first))):
        return [encode(first)] * len(values)
    if encode is _text:
        kinds = set(map(type, values))
        if kinds == _INT:
            return list(map(int.__repr__, values))
        if kinds == _STR and not _NEEDS_ESCAPE.search("".join(values)):
            return values
    elif encode is _encode_json and None not in values:
        texts = list(map(_json, values))
        if not _NEEDS_ESCAPE.search("".join(texts)):
            return texts
    return list(map(encode, values))


_INT = {int}
_STR = {str}


def _chunk_encoder(
    dialect: sa.Dialect, table: sa.Table, names: Sequence[str]
) -> Callable[[Chunk], str]:
    """Chunks (rows with the keys `names`, or `Columns` of those names) -> their COPY text."""
    encoders = dict(zip(names, (_encoder(table.c[name], dialect) for name in names), strict=True))

    def encode(chunk: Chunk) -> str:
        if isinstance(chunk, Columns):
            n, same, varying = len(chunk), chunk.same, chunk.varying
            columns = [
                [encoders[name](same[name])] * n
                if name in same
                else _encoded_column(encoders[name], list(varying[name]))
                for name in names
            ]
        else:
            columns = [
                _encoded_column(encoders[name], list(map(operator.itemgetter(name), chunk)))
                for name in names
            ]
        return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"

    return encode


def _write(session: Session, table_name: str, names: Sequence[str], chunks: Iterable[str]) -> None:
    """COPY the text `chunks` into `table_name`, each sent as soon as it is made, so that
    PostgreSQL inserts one while the next is made. An exception from `chunks` abandons the
    COPY and is raised."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    column_list = ", ".join(f'"{name}"' for name in names)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table_name}" ({column_list}) FROM STDIN') as copy,
    ):
        for chunk in chunks:
            copy.write(chunk)


def _copy(session: Session, table_name: str, table: sa.Table, chunks: Iterable[Chunk]) -> None:
    """COPY rows made a chunk at a time (the column names are the first row's keys)."""
    chunks = iter(chunks)
    first = next((chunk for chunk in chunks if chunk), None)
    if first is None:
        return
    names = first.names if isinstance(first, Columns) else list(first[0])
    encode = _chunk_encoder(session.get_bind().dialect, table, names)
    texts = (encode(chunk) for chunk in itertools.chain([first], chunks) if chunk)
    _write(session, table_name, names, texts)


def copy_prepared(session: Session, table: sa.Table, columns: Sequence[str], text: str) -> None:
    """COPY text prepared elsewhere (app.copy_text.copy_lines, e.g. in the award's worker
    process) into `table`: PostgreSQL only."""
    session.flush()  # pending ORM changes first, in order
    _write(
        session,
        table.name,
        columns,
        (text[start : start + _TEXT_CHUNK] for start in range(0, len(text), _TEXT_CHUNK)),
    )


def chunked(items: Iterable[Any]) -> Iterator[list[Any]]:
    """`items` in lists of the size one write sends at a time (built as they are taken)."""
    it = iter(items)
    return iter(lambda: list(itertools.islice(it, _CHUNK)), [])


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[Row]) -> None:
    """Insert `rows`."""
    bulk_insert_chunks(session, table, chunked(rows))


def bulk_insert_chunks(session: Session, table: sa.Table, chunks: Iterable[Chunk]) -> None:
    """`bulk_insert` of rows that the caller makes a chunk at a time (a generator): on
    PostgreSQL each chunk is sent as soon as it is made, so the database inserts it while
    the next is made. Every row has the same keys (every `Columns` chunk the same names).

    An exception raised by `chunks` is raised here, and the transaction must then be rolled
    back (as the request's session does on any error): on PostgreSQL the COPY is abandoned
    and the transaction is aborted; elsewhere the chunks before it are still in it. Rows sent
    before the exception were written, so a caller that may raise late pays for them
    (dead rows and sequence numbers on PostgreSQL, and an "ERROR: COPY from stdin failed"
    line in its log)."""
    if _is_postgresql(session):
        session.flush()  # pending ORM changes first, in order
        _copy(session, table.name, table, chunks)
        return
    for chunk in chunks:
        if chunk:
            session.execute(
                sa.insert(table), chunk.rows() if isinstance(chunk, Columns) else list(chunk)
            )


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
    _copy(session, staging, table, chunked(rows))
    assignments = ", ".join(f'"{n}" = s."{n}"' for n in names)
    session.execute(
        sa.text(
            f'UPDATE "{table.name}" AS t SET {assignments} '
            f'FROM "{staging}" AS s WHERE t."{key}" = s."{key}"'
        )
    )
    session.execute(sa.text(f'DROP TABLE "{staging}"'))
