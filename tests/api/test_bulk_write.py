"""app.bulk_write: rows written a chunk at a time (COPY on PostgreSQL), all or nothing."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import bulk_write
from app.audit.models import AuditEvent
from app.db import make_engine
from tests.conftest import TestDatabase

TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def event(i: int, after: Any = None) -> dict[str, Any]:
    return {
        "at": NOW,
        "actor_role": "bureau",
        "actor_id": None,
        "actor_name": "desk\twith a tab",
        "round_id": "R1",
        "entity_type": "thing",
        "entity_id": f"T{i}",
        "action": "create",
        "before": None,
        "after": {"n": i, "note": "back\\slash\nnewline"} if after is None else after,
    }


@pytest.fixture
def session(database: TestDatabase) -> Iterator[Session]:
    engine = database.engine or make_engine(database.url)
    with Session(engine) as s:
        yield s
    if database.engine is None:
        engine.dispose()


def stored(session: Session) -> list[tuple[str, Any]]:
    rows = session.execute(sa.select(TABLE.c.entity_id, TABLE.c.after).order_by(TABLE.c.id))
    return [(r.entity_id, r.after) for r in rows]


def test_chunks_are_written_in_order(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_write, "_CHUNK", 2)
    chunks = [[event(1), event(2)], [], [event(3)]]
    bulk_write.bulk_insert_chunks(session, TABLE, iter(chunks))
    bulk_write.bulk_insert(session, TABLE, [event(i) for i in range(4, 9)])
    session.commit()
    got = stored(session)
    assert [entity for entity, _ in got] == [f"T{i}" for i in range(1, 9)]
    assert got[0][1] == {"n": 1, "note": "back\\slash\nnewline"}  # escaped for COPY, read back
    assert session.execute(sa.select(TABLE.c.actor_name)).scalars().first() == "desk\twith a tab"


def test_an_exception_from_the_chunks_is_raised_and_a_rollback_leaves_nothing(
    session: Session,
) -> None:
    def chunks() -> Iterator[list[dict[str, Any]]]:
        yield [event(1), event(2)]
        yield [event(3)]
        raise ValueError("line 4 is bad")

    with pytest.raises(ValueError, match="line 4 is bad"):
        bulk_write.bulk_insert_chunks(session, TABLE, chunks())
    session.rollback()
    assert stored(session) == []
    # the connection is fine afterwards
    bulk_write.bulk_insert(session, TABLE, [event(5)])
    session.commit()
    assert [entity for entity, _ in stored(session)] == ["T5"]


def test_nothing_to_insert(session: Session) -> None:
    bulk_write.bulk_insert_chunks(session, TABLE, iter([[], []]))
    bulk_write.bulk_insert(session, TABLE, [])
    assert stored(session) == []


def test_chunked_slices_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_write, "_CHUNK", 2)
    assert list(bulk_write.chunked([1, 2, 3, 4, 5])) == [[1, 2], [3, 4], [5]]
    assert list(bulk_write.chunked([])) == []


def test_a_varying_text_column_is_escaped_where_one_value_needs_it(session: Session) -> None:
    rows = [event(1), event(2), event(3)]
    rows[1]["entity_id"] = "T2\twith\\ a tab\nand a newline"
    rows[2]["entity_id"] = ""
    bulk_write.bulk_insert(session, TABLE, rows)
    session.commit()
    assert [entity for entity, _ in stored(session)] == [
        "T1",
        "T2\twith\\ a tab\nand a newline",
        "",
    ]


def test_chunks_given_column_by_column(session: Session) -> None:
    same = {k: v for k, v in event(0).items() if k not in ("entity_id", "after")}
    chunks = [
        bulk_write.Columns(
            varying={"entity_id": ["T1", "T2"], "after": [{"n": 1}, {"n": "二"}]},
            same=same,
        ),
        bulk_write.Columns(varying={"entity_id": [], "after": []}, same=same),
        bulk_write.Columns(varying={"entity_id": ["T3"], "after": [None]}, same=same),
    ]
    bulk_write.bulk_insert_chunks(session, TABLE, iter(chunks))
    session.commit()
    assert stored(session) == [("T1", {"n": 1}), ("T2", {"n": "二"}), ("T3", None)]
    assert set(session.execute(sa.select(TABLE.c.actor_name)).scalars()) == {"desk\twith a tab"}


def test_json_values_are_escaped_only_where_needed(session: Session) -> None:
    afters = [{"n": 1}, {"path": "C:\\drugs"}, {"line": "one\ntwo"}, {"plain": "氨氯地平"}]
    bulk_write.bulk_insert(session, TABLE, [event(i, after) for i, after in enumerate(afters)])
    session.commit()
    assert [after for _, after in stored(session)] == afters
