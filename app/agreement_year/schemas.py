from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from app.agreement_year.models import JobStatus
from app.common import MAX_INT


class YearSimulationRequest(BaseModel):
    """A seeded agreement year (solver.year) over the round's stored contracts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"seed": 7, "failure_probability": 0.05, "late_payment_probability": 0.1}]
        },
    )

    year: StrictInt | None = Field(
        default=None, ge=1, le=MAX_INT, description="default: the current year"
    )
    seed: StrictInt = Field(default=1, ge=0, le=MAX_INT)
    months: StrictInt = Field(default=12, ge=1, le=36)
    failure_probability: StrictFloat = Field(default=0.02, ge=0, le=1)
    late_payment_probability: StrictFloat = Field(default=0.10, ge=0, le=1)
    purchase_factor: tuple[StrictFloat, StrictFloat] = Field(
        default=(0.92, 1.08), description="an institution's year against its agreed volume"
    )
    acceptance_delay_days: tuple[StrictInt, StrictInt] = Field(default=(0, 3))
    late_payment_days: tuple[StrictInt, StrictInt] = Field(default=(1, 45))

    @model_validator(mode="after")
    def _ranges(self) -> "YearSimulationRequest":
        for name in ("purchase_factor", "acceptance_delay_days", "late_payment_days"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range [low, high] with 0 ≤ low ≤ high")
        if self.purchase_factor[1] > 10:
            raise ValueError("purchase_factor above 10 is not a plausible year")
        if self.acceptance_delay_days[1] > 60 or self.late_payment_days[1] > 365:
            raise ValueError("delays are at most 60 days (acceptance) and 365 days (payment)")
        return self


class YearSimulationJob(BaseModel):
    id: int
    round_id: str
    year: int
    status: JobStatus
    settings: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    report: dict[str, Any] | None = Field(
        description="month by month: purchases, invoices due and overdue, prepayment offsets "
        "and balances, the fund's cash flow, fulfilment, failures (null until done)"
    )
