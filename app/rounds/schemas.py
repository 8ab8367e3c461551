from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.catalog.schemas import GROUP_EXAMPLE, GroupCreate, GroupPublic
from app.common import Identifier
from app.rounds.lifecycle import RoundState


class RulesSpec(BaseModel):
    """A named profile plus overrides of any rule-set field (ROUND_DOCUMENT.md `rules`)."""

    model_config = ConfigDict(extra="forbid")

    profile: str = Field(default="batch7", examples=["batch7", "batch10", "batch11"])
    overrides: dict[str, Any] = Field(default_factory=dict, examples=[{"prepay_ratio": "0.30"}])


class Windows(BaseModel):
    """Demand and bidding windows; instants with a UTC offset."""

    demand_opens_at: AwareDatetime | None = None
    demand_closes_at: AwareDatetime | None = None
    bidding_opens_at: AwareDatetime | None = None
    bidding_closes_at: AwareDatetime | None = None


ROUND_EXAMPLE: dict[str, Any] = {
    "id": "YN-2027-01",
    "name": "Yunnan 2027 round 1",
    "agreement_start": "2027-01-01",
    "rules": {"profile": "batch7", "overrides": {"prepay_ratio": "0.30"}},
    "demand_opens_at": "2026-10-01T00:00:00+08:00",
    "demand_closes_at": "2026-10-31T18:00:00+08:00",
    "bidding_opens_at": "2026-11-15T09:00:00+08:00",
    "bidding_closes_at": "2026-11-30T17:00:00+08:00",
    "groups": [GROUP_EXAMPLE],
}


class RoundCreate(Windows):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ROUND_EXAMPLE]})

    id: Identifier
    name: str = Field(default="", max_length=200)
    agreement_start: date | None = None
    rules: RulesSpec = Field(default_factory=RulesSpec)
    groups: list[GroupCreate] = Field(default_factory=list, description="the catalog, inline")


class RoundUpdate(Windows):
    """Fields to change (absent fields are kept). Rules only in draft; the agreement start
    until the results are published (after the award only if the round has none: the outcome
    names it); the demand window until demand is locked; the bidding
    window until bids are opened, and not once its deadline has passed while bidding is open
    (that would reopen bidding late)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"demand_closes_at": "2026-11-05T18:00:00+08:00"}]},
    )

    name: str | None = Field(
        default=None, max_length=200, description='a new name ("" for none); never null'
    )
    agreement_start: date | None = None
    rules: RulesSpec | None = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        # runs only for a name that was sent: null would mean "no name", which is ""
        if value is None:
            raise ValueError('a round always has a name: send "" for none')
        return value


class RoundSummary(BaseModel):
    id: str
    name: str
    state: RoundState
    version: int
    created_at: datetime
    updated_at: datetime


class RoundPublic(BaseModel):
    id: str
    name: str
    state: RoundState
    allowed_transitions: list[RoundState] = Field(description="states it may move to next")
    agreement_start: date | None
    rules: RulesSpec
    effective_rules: dict[str, Any] = Field(description="the full rule set the round runs on")
    demand_opens_at: datetime | None
    demand_closes_at: datetime | None
    bidding_opens_at: datetime | None
    bidding_closes_at: datetime | None
    groups: list[GroupPublic]
    version: int = Field(description="the ETag is derived from it")
    created_at: datetime
    updated_at: datetime


class TransitionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"to": "demand_open"}]}
    )

    to: RoundState
    reason: str | None = Field(default=None, max_length=2000)
