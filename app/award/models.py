"""Award jobs and the stored outcome of a round (SPEC §6–§8).

An award runs as a job (`award_jobs`). Its success stores the whole outcome as the canonical
text `vbp simulate` prints (`round_outcomes.outcome`) plus one row per group, bid, volume,
allocation, region and institution, so that each actor's view is a query (app.outcomes).
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime, enum_type


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


# a job that has not ended yet
ACTIVE = (JobStatus.queued, JobStatus.running)


class AwardJob(SQLModel, table=True):
    __tablename__ = "award_jobs"
    __table_args__ = (sa.Index("ix_award_jobs_round_status", "round_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    status: JobStatus = Field(
        default=JobStatus.queued, sa_type=enum_type(JobStatus, "award_job_status")
    )
    stage: str = Field(default="queued", max_length=100)
    done: int = 0
    total: int = 0
    error: str | None = Field(default=None, sa_type=sa.Text)
    solver: str = Field(max_length=20)
    time_limit: float
    # who asked: the bureau token (the round's move to awarded is recorded in their name)
    requested_by: str = Field(max_length=200)
    requested_by_token: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RoundOutcome(SQLModel, table=True):
    """The award of a round: at most one (the round moves to awarded once)."""

    __tablename__ = "round_outcomes"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    job_id: int = Field(foreign_key="award_jobs.id")
    # the canonical outcome text (solver.engine.dumps_outcome)
    outcome: str = Field(sa_type=sa.Text)
    solver_status: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime)


class OutcomeGroup(SQLModel, table=True):
    __tablename__ = "outcome_groups"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    group_id: str = Field(primary_key=True, max_length=100)
    status: str = Field(max_length=20)
    valid_bidders: int
    winner_cap: int
    agreed_ratio: Decimal | None = Field(default=None, sa_type=DecimalText)
    term_years: int | None = None
    base_volume: int = Field(sa_type=sa.BigInteger)
    agreed_volume: int = Field(sa_type=sa.BigInteger)
    unallocated_volume: int = Field(sa_type=sa.BigInteger)
    payment_standard: Decimal | None = Field(default=None, sa_type=DecimalText)


class OutcomeBid(SQLModel, table=True):
    """A bid's fate; a winner has `winner_rank` and the price it is paid."""

    __tablename__ = "outcome_bids"
    __table_args__ = (sa.Index("ix_outcome_bids_enterprise", "round_id", "enterprise_id"),)

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    group_id: str = Field(primary_key=True, max_length=100)
    enterprise_id: str = Field(primary_key=True, max_length=100)
    ucp: Decimal = Field(sa_type=DecimalText)
    valid: bool
    qualified: bool
    rank: int | None = None
    reason: str | None = Field(default=None, max_length=30)
    won: bool
    winner_rank: int | None = None
    price: Decimal | None = Field(default=None, sa_type=DecimalText)


class OutcomeVolume(SQLModel, table=True):
    __tablename__ = "outcome_volumes"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    institution_id: str = Field(primary_key=True, max_length=100)
    group_id: str = Field(primary_key=True, max_length=100)
    reported: int = Field(sa_type=sa.BigInteger)
    base_volume: int = Field(sa_type=sa.BigInteger)
    agreed_volume: int = Field(sa_type=sa.BigInteger)
    flag: str | None = Field(default=None, max_length=30)
    # the report as the bureau reviewed it, where that is not `reported` (adjusted; 0 rejected)
    reviewed: int | None = Field(default=None, sa_type=sa.BigInteger)


class OutcomeAllocation(SQLModel, table=True):
    __tablename__ = "outcome_allocations"
    __table_args__ = (
        sa.Index("ix_outcome_allocations_institution", "round_id", "institution_id"),
        sa.Index("ix_outcome_allocations_enterprise", "round_id", "enterprise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    institution_id: str = Field(max_length=100)
    group_id: str = Field(max_length=100)
    enterprise_id: str = Field(max_length=100)
    volume: int = Field(sa_type=sa.BigInteger)
    role: str = Field(max_length=20)
    price: Decimal = Field(sa_type=DecimalText)
    amount: Decimal = Field(sa_type=DecimalText)


class OutcomeRegion(SQLModel, table=True):
    __tablename__ = "outcome_regions"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    group_id: str = Field(primary_key=True, max_length=100)
    region: str = Field(primary_key=True, max_length=100)
    primary_enterprise: str | None = Field(default=None, max_length=100)
    backup_enterprise: str | None = Field(default=None, max_length=100)


class OutcomeInstitution(SQLModel, table=True):
    """An institution's money (SPEC §8): annual contract amount and prepayment."""

    __tablename__ = "outcome_institutions"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    institution_id: str = Field(primary_key=True, max_length=100)
    annual_contract_amount: Decimal = Field(sa_type=DecimalText)
    prepayment: Decimal = Field(sa_type=DecimalText)
