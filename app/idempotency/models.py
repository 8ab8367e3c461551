"""Idempotency keys: the first response of a POST, replayed for a retry with the same key."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.UniqueConstraint("subject", "key", name="uq_idempotency_keys_subject_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # whose key: "bureau", "institution:H001", "enterprise:E01"
    subject: str = Field(max_length=120)
    key: str = Field(max_length=200)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    # null while the first request is still running
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
