from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from app.common import Identifier
from app.demand.models import BaseFlag, ReviewStatus

Volume = Annotated[StrictInt, Field(ge=0, description="minimal units of the representative spec")]


class DemandFields(BaseModel):
    """An institution's report for one group (SPEC §3)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reported": 120000, "last_year_usage": 130000, "preferred_enterprise": None}
            ]
        },
    )

    reported: Volume
    last_year_usage: Volume
    preferred_enterprise: Identifier | None = Field(
        default=None, description="by-brand reporting: a registered enterprise's id"
    )


class DemandLine(DemandFields):
    """One line of a bulk upload (the same fields as the round document's `demands[]`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "group": "AML-ORAL",
                    "reported": 120000,
                    "last_year_usage": 130000,
                    "preferred_enterprise": None,
                }
            ]
        },
    )

    group: str


class DemandReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    round_id: str
    institution_id: str
    group_id: str
    reported: int
    last_year_usage: int
    preferred_enterprise: str | None = Field(validation_alias="preferred_enterprise_id")
    flagged: bool = Field(description="reported < demand_floor_ratio × last_year_usage")
    review_status: ReviewStatus | None
    adjusted_volume: int | None
    review_reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    base_volume: int | None = Field(description="采购量基数, set when demand is locked")
    base_flag: BaseFlag | None
    version: int
    created_at: datetime
    updated_at: datetime


class ReviewRequest(BaseModel):
    """The bureau's decision on a report: accept it (e.g. the institution's justification for
    a report below the floor), adjust it to `volume`, or reject it. A reason is required.
    At locking a rejected report gets the floor, ceil(floor × last year's usage), flag
    `below_floor_raised`, whatever the below_floor_policy; adjust to 0 to void a line."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "adjust", "volume": 104000, "reason": "usage data from HIS"},
                {"decision": "accept", "reason": "ward closed for renovation in 2027"},
            ]
        },
    )

    decision: Literal["accept", "adjust", "reject"]
    volume: Volume | None = Field(
        default=None, validate_default=True, description="the adjusted report (adjust only)"
    )
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("volume")
    @classmethod
    def _volume_with_adjust(cls, v: int | None, info: ValidationInfo) -> int | None:
        # a field validator, so that the error names body.volume
        decision = info.data.get("decision")  # absent when it was itself refused
        if decision == "adjust" and v is None:
            raise ValueError("required to adjust: the adjusted report")
        if decision in ("accept", "reject") and v is not None:
            raise ValueError(f"only an adjustment takes a volume, not {decision!r}")
        return v


class BulkResult(BaseModel):
    round_id: str
    institution_id: str
    lines: int
    created: int
    updated: int
    unchanged: int
    flagged: int
