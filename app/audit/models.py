"""The audit trail: append-only, one event per change, written in the change's transaction."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_round_entity", "round_id", "entity_type", "entity_id"),
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(sa_type=UTCDateTime)
    actor_role: str = Field(max_length=20)
    actor_id: str | None = Field(default=None, max_length=100)
    actor_name: str = Field(max_length=200, description="the token's name")
    round_id: str | None = Field(default=None, max_length=100)
    entity_type: str = Field(max_length=50)
    entity_id: str = Field(max_length=250)
    action: str = Field(max_length=50)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
