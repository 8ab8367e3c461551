"""Demand reports (需求量填报) and their review; base volumes (采购量基数) after locking (SPEC §3)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime, enum_type


class ReviewStatus(StrEnum):
    """The bureau's review of a report. A report below the floor starts `pending`; one above
    it starts with no status (null) and may still be reviewed."""

    pending = "pending"
    accepted = "accepted"
    adjusted = "adjusted"
    rejected = "rejected"


class BaseFlag(StrEnum):
    """`volumes[].flag` of the outcome (ROUND_DOCUMENT.md)."""

    below_floor_raised = "below_floor_raised"
    below_floor_accepted = "below_floor_accepted"


class DemandReport(SQLModel, table=True):
    __tablename__ = "demand_reports"
    __table_args__ = (
        sa.UniqueConstraint(
            "round_id", "institution_id", "group_id", name="uq_demand_reports_line"
        ),
        sa.CheckConstraint("reported >= 0 AND last_year_usage >= 0", name="volumes_non_negative"),
        # the review queue: only reviewed or awaiting reports (most reports are neither, and
        # an upload then writes no entry for them)
        sa.Index(
            "ix_demand_reports_review",
            "round_id",
            "review_status",
            postgresql_where=sa.text("review_status IS NOT NULL"),
            sqlite_where=sa.text("review_status IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # No foreign keys on the round, the institution or the group: PostgreSQL checks a foreign
    # key with a lookup and a row lock per inserted row, which cost about 40 % of the
    # database's time in a 100,000-line upload (bench.service, migration 0005). What the keys
    # would guard, the service guarantees: a report's round and group are checked against the
    # catalog in the request that writes it, under a share lock on the round, and the catalog
    # changes only in `draft` (under an update lock), which a round never returns to; the
    # institution is the authenticated caller, and institutions are never deleted.
    round_id: str = Field(max_length=100)
    # no index of its own: the unique (round_id, institution_id, group_id) serves lookups
    institution_id: str = Field(max_length=100)
    group_id: str = Field(max_length=100)
    reported: int = Field(sa_type=sa.BigInteger)
    last_year_usage: int = Field(sa_type=sa.BigInteger)
    preferred_enterprise_id: str | None = Field(
        default=None, foreign_key="enterprises.id", max_length=100
    )
    # SPEC §3: reported < demand_floor_ratio × last_year_usage, exactly
    flagged: bool = False
    review_status: ReviewStatus | None = Field(
        default=None, sa_type=enum_type(ReviewStatus, "review_status")
    )
    adjusted_volume: int | None = Field(default=None, sa_type=sa.BigInteger)
    review_reason: str | None = Field(default=None, sa_type=sa.Text)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # set when the round's demand is locked
    base_volume: int | None = Field(default=None, sa_type=sa.BigInteger)
    base_flag: BaseFlag | None = Field(default=None, sa_type=enum_type(BaseFlag, "base_flag"))
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
