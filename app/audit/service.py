"""Recording and reading the audit trail.

Every change writes an event in the same transaction: who (role, actor id, token name), when,
which entity (type, id, round), what (action) and the entity before and after, as JSON.

Sealed data must never reach the trail (SPEC §5: before opening nobody but the enterprise may
read a bid's price). Two hooks make that hard to get wrong:
- `register_redactor("bid", redact_fields("pack_price", ...))`: applied to every event of
  that entity type, whoever records it;
- `record(..., redact=...)`: one more redactor for one call.
"""

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from fastapi.encoders import jsonable_encoder
from sqlmodel import Session, SQLModel, col, select

from app.audit.models import AuditEvent
from app.auth.service import Principal
from app.bulk_write import bulk_insert_chunks, chunked

Payload = dict[str, Any]
Redactor = Callable[[Payload], Payload]
SEALED = "[sealed]"

_REDACTORS: dict[str, list[Redactor]] = {}


@dataclass(frozen=True)
class AuditActor:
    role: str
    id: str | None
    name: str

    @classmethod
    def of(cls, who: "Principal | AuditActor") -> "AuditActor":
        if isinstance(who, AuditActor):
            return who
        return cls(role=who.role.value, id=who.actor_id, name=who.token_name)


# changes made from the command line (`vbp tokens create`)
COMMAND_LINE = AuditActor(role="system", id=None, name="vbp command line")


def register_redactor(entity_type: str, redactor: Redactor) -> None:
    """Apply `redactor` to the before/after of every event of `entity_type`."""
    _REDACTORS.setdefault(entity_type, []).append(redactor)


def redact_fields(*names: str) -> Redactor:
    """A redactor that replaces the value of each named key, at any depth, by '[sealed]'."""
    hidden = frozenset(names)

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (SEALED if k in hidden else scrub(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    def redactor(payload: Payload) -> Payload:
        result: Payload = scrub(payload)
        return result

    return redactor


def snapshot(row: SQLModel | Mapping[str, Any], *, exclude: Iterable[str] = ()) -> Payload:
    """A JSON-ready copy of a row (decimals as strings, datetimes ISO 8601)."""
    data = dict(row) if isinstance(row, Mapping) else row.model_dump()
    for name in exclude:
        data.pop(name, None)
    # _jsonable, not jsonable_encoder: that one turns Decimal money into a float
    result: Payload = _jsonable(data)
    return result


_PLAIN = frozenset({str, int, float, bool, type(None)})
_STR = frozenset({str})


def _jsonable(value: Any) -> Any:
    """JSON-ready, fast for the plain values most events hold (bulk uploads write 100,000)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        # map/issuperset run in C: this is per line of a bulk upload
        if _PLAIN.issuperset(map(type, value.values())):
            if _STR.issuperset(map(type, value)):
                return dict(value)
            return {str(k): v for k, v in value.items()}
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return jsonable_encoder(value)


def _prepare(
    entity_type: str, payload: Mapping[str, Any] | None, redact: Redactor | None
) -> Payload | None:
    if payload is None:
        return None
    data: Payload = _jsonable(payload)
    for redactor in _REDACTORS.get(entity_type, ()):
        data = redactor(data)
    if redact is not None:
        data = redact(data)
    return data


def _event(
    who: AuditActor,
    now: datetime,
    action: str,
    entity_type: str,
    entity_id: str,
    round_id: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    redact: Redactor | None,
) -> Payload:
    """One event's row, redacted: what `record`, `record_now` and `record_many` write."""
    return {
        "at": now,
        "actor_role": who.role,
        "actor_id": who.id,
        "actor_name": who.name,
        "round_id": round_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
        "before": _prepare(entity_type, before, redact),
        "after": _prepare(entity_type, after, redact),
    }


def record(
    session: Session,
    *,
    actor: "Principal | AuditActor",
    now: datetime,
    action: str,
    entity_type: str,
    entity_id: str,
    round_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    redact: Redactor | None = None,
) -> None:
    """Record an event; it is written with the session's next flush, after the changes
    added before it."""
    row = _event(
        AuditActor.of(actor), now, action, entity_type, entity_id, round_id, before, after, redact
    )
    session.add(AuditEvent(**row))


_AUDIT_TABLE: sa.Table = AuditEvent.__table__  # type: ignore[attr-defined]
# inline: no `RETURNING id` (nothing reads the new event's id), one result set fewer to set up
_INSERT = sa.insert(_AUDIT_TABLE).inline()


def record_now(
    session: Session,
    *,
    actor: "Principal | AuditActor",
    now: datetime,
    action: str,
    entity_type: str,
    entity_id: str,
    round_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    redact: Redactor | None = None,
    along_with: tuple[sa.Table, Mapping[str, Any]] | None = None,
) -> None:
    """`record`, written at once with one INSERT and no ORM object: for the frequent writes
    that make their own changes the same way (bid submission). Changes still pending in the
    session are written after it, so the round it names must already be in the database.

    `along_with=(table, values)`: the row of the change itself, inserted by the same
    statement where the database allows it (PostgreSQL: an INSERT in a WITH clause), so the
    change and its event cost one round trip; elsewhere by the statement before it."""
    row = _event(
        AuditActor.of(actor), now, action, entity_type, entity_id, round_id, before, after, redact
    )
    connection = session.connection()
    if along_with is None:
        connection.execute(_INSERT, row)
        return
    table, values = along_with
    if connection.dialect.name != "postgresql":  # SQLite has no INSERT inside WITH
        connection.execute(sa.insert(table).inline(), values)
        connection.execute(_INSERT, row)
        return
    statement = _insert_along(table, tuple(values))
    connection.execute(statement, {**{f"along_{k}": v for k, v in values.items()}, **row})


@functools.cache
def _insert_along(table: sa.Table, columns: tuple[str, ...]) -> sa.Insert:
    """WITH along AS (INSERT INTO table ...) INSERT INTO audit_events ...: built once per
    table and column list (the compiled form is then cached by SQLAlchemy)."""
    written = (
        sa.insert(table)
        .values({name: sa.bindparam(f"along_{name}", type_=table.c[name].type) for name in columns})
        .cte("along")
    )
    return (
        sa.insert(_AUDIT_TABLE)
        .values(
            {c.name: sa.bindparam(c.name, type_=c.type) for c in _AUDIT_TABLE.c if c.name != "id"}
        )
        .add_cte(written)
        .inline()
    )


@dataclass(frozen=True)
class Change:
    """One change for `record_many`."""

    entity_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


def record_many(
    session: Session,
    *,
    actor: "Principal | AuditActor",
    now: datetime,
    action: str,
    entity_type: str,
    round_id: str | None,
    changes: Iterable[Change],
    redact: Redactor | None = None,
) -> None:
    """Many events of one kind (bulk uploads, locking), written at once (after the changes
    already in the database). On PostgreSQL they are built a chunk at a time and streamed
    with COPY: the database writes one chunk while the next is built. `changes` may be a
    generator: it is taken a chunk at a time too."""
    who = AuditActor.of(actor)

    def chunks() -> Iterator[list[Payload]]:
        for chunk in chunked(changes):
            yield [
                _event(
                    who, now, action, entity_type, c.entity_id, round_id, c.before, c.after, redact
                )
                for c in chunk
            ]

    bulk_insert_chunks(session, _AUDIT_TABLE, chunks())


def list_events(
    session: Session,
    *,
    round_id: str | None,
    entity_type: str | None,
    entity_id: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[AuditEvent], int | None]:
    """Events in the order they happened; returns the page and the cursor of the next."""
    query = select(AuditEvent)
    if round_id is not None:
        query = query.where(AuditEvent.round_id == round_id)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if after_id is not None:
        query = query.where(col(AuditEvent.id) > after_id)
    rows = list(session.exec(query.order_by(col(AuditEvent.id)).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None
