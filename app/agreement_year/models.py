"""Agreement-year simulation jobs: a seeded year (solver.year) over a round's stored contracts."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime, enum_type


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class AgreementYearJob(SQLModel, table=True):
    __tablename__ = "agreement_year_jobs"

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100, index=True)
    year: int
    status: JobStatus = Field(sa_type=enum_type(JobStatus, "agreement_year_job_status"))
    settings: dict[str, Any] = Field(sa_type=sa.JSON)
    report: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
