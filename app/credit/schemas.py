from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.actors.models import CreditLevel

Evidence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class RatingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "level": "serious",
                    "reason": "three supply failures in the agreement year without cause",
                    "evidence": [
                        "supply failures #12, #15, #19",
                        "https://ylbzj.yn.gov.cn/notices/2027-031",
                    ],
                    "rated_on": "2027-06-30",
                }
            ]
        },
    )

    level: CreditLevel = Field(description="general / moderate / serious / particularly_serious")
    reason: str = Field(min_length=1, max_length=2000)
    evidence: list[Evidence] = Field(
        default_factory=list, max_length=50, description="texts or URLs the rating rests on"
    )
    rated_on: date | None = Field(default=None, description="default: today; not in the future")


class RatingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: str
    level: CreditLevel
    reason: str
    evidence: list[str]
    rated_on: date
    bar_until: date | None = Field(
        description="the first day the enterprise may bid again under the default rule set "
        "(a round's own bar_months may differ); null when the level does not bar"
    )
    rated_by: str
    created_at: datetime


class CreditHistory(BaseModel):
    enterprise_id: str
    current_level: CreditLevel | None = Field(description="the latest rating's level")
    barred_today: bool = Field(description="under the default rule set")
    barred_until: date | None = Field(description="end of the bar in force today, if any")
    ratings: list[RatingPublic] = Field(description="the whole history, newest first")
