from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from app.award.models import JobStatus


class AwardRequest(BaseModel):
    """Options of an award run (all optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"solver": "cbc", "time_limit": 60}]}
    )

    solver: Literal["cbc", "highs"] = "cbc"
    time_limit: StrictFloat = Field(default=60.0, gt=0, le=3600, description="seconds per model")


class JobProgress(BaseModel):
    stage: str = Field(examples=["winner selection"])
    done: int
    total: int


class JobPublic(BaseModel):
    """An asynchronous job. Poll `GET /api/v1/jobs/{id}` until `status` is `succeeded` (then
    follow `result`) or `failed` (then read `error`)."""

    id: int
    kind: Literal["award"] = "award"
    round_id: str
    status: JobStatus
    progress: JobProgress
    result: str | None = Field(description="link to the result once the job has succeeded")
    error: str | None
    solver: str
    time_limit: float
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
