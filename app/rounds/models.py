"""A procurement round (集中带量采购批次): rules, windows, state."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.rounds.lifecycle import RoundState
from app.sqltypes import UTCDateTime, enum_type


class Round(SQLModel, table=True):
    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint(
            "demand_opens_at IS NULL OR demand_closes_at IS NULL"
            " OR demand_opens_at < demand_closes_at",
            name="demand_window_order",
        ),
        sa.CheckConstraint(
            "bidding_opens_at IS NULL OR bidding_closes_at IS NULL"
            " OR bidding_opens_at < bidding_closes_at",
            name="bidding_window_order",
        ),
    )

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(default="", max_length=200)
    state: RoundState = Field(
        default=RoundState.draft, sa_type=enum_type(RoundState, "round_state"), index=True
    )
    # {"profile": "batch7", "overrides": {...}} as in ROUND_DOCUMENT.md, validated on write
    rules: dict[str, Any] = Field(sa_type=sa.JSON)
    agreement_start: date | None = None
    demand_opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    demand_closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bidding_opens_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bidding_closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # bumped on every change to the round or its catalog; the ETag is derived from it
    version: int = Field(default=1)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
