from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.rounds.lifecycle import RoundState


class RoundRef(BaseModel):
    id: str
    name: str
    state: RoundState


class WinnerPublic(BaseModel):
    enterprise: str
    price: Decimal = Field(description="paid per representative unit (pay-as-bid)")
    rank: int


class GroupResult(BaseModel):
    """The public result of a group: winners and prices, status, volumes, payment standard."""

    id: str
    status: str
    valid_bidders: int
    winner_cap: int
    winners: list[WinnerPublic]
    agreed_ratio: Decimal | None
    term_years: int | None
    base_volume: int
    agreed_volume: int
    unallocated_volume: int
    payment_standard: Decimal | None


class VolumeRow(BaseModel):
    institution: str
    group: str
    reported: int = Field(description="what the institution reported")
    reviewed: int | None = Field(
        default=None,
        description="the report as the bureau reviewed it, where that is not `reported`: an "
        "adjusted volume, or 0 for a rejected report (the base is then the floor)",
    )
    base_volume: int
    agreed_volume: int
    flag: str | None


class AllocationRow(BaseModel):
    institution: str
    group: str
    enterprise: str
    volume: int
    role: str
    price: Decimal
    amount: Decimal


class RegionRow(BaseModel):
    region: str
    group: str
    primary: str | None
    backup: str | None


class BidFate(BaseModel):
    group: str
    ucp: Decimal
    valid: bool
    qualified: bool
    rank: int | None
    reason: str | None
    won: bool
    winner_rank: int | None
    price: Decimal | None


class ContractMoney(BaseModel):
    annual_contract_amount: Decimal
    prepayment: Decimal


class InstitutionOutcome(BaseModel):
    """A published outcome as an institution sees it: the public results, its own volumes,
    suppliers (allocations and its region's primary and backup), amounts and prepayment."""

    round: RoundRef
    institution: str
    groups: list[GroupResult]
    volumes: list[VolumeRow]
    allocations: list[AllocationRow]
    regions: list[RegionRow]
    contract: ContractMoney | None = Field(description="null without a demand line")


class EnterpriseOutcome(BaseModel):
    """A published outcome as an enterprise sees it: the public results, the fate of its own
    bids, its own allocations (its contracts) and the regions it supplies."""

    round: RoundRef
    enterprise: str
    groups: list[GroupResult]
    bids: list[BidFate]
    allocations: list[AllocationRow]
    regions: list[RegionRow]


class WholeOutcome(BaseModel):
    """The whole outcome, as the bureau reads it: the outcome of ROUND_DOCUMENT.md, byte for
    byte what `vbp simulate` prints for the stored round (its rows are described there)."""

    model_config = ConfigDict(extra="allow")

    round: dict[str, Any]
    groups: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    allocations: list[dict[str, Any]]
    institutions: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    summary: dict[str, Any]
    rules: dict[str, Any]
    solver: dict[str, Any]
