"""Bid validity, ranking and winner selection (SPEC §4, §6)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

InvalidReason = Literal["ineligible_quality", "above_ceiling", "no_capacity", "credit_barred"]
LosingReason = Literal["price_rule", "over_cap"]


@dataclass(frozen=True)
class Candidate:
    """One bid of one enterprise in one group, with its UCP and validity (SPEC §4)."""

    enterprise: str
    ucp: Decimal  # rounded to 4 places
    capacity: int
    submitted_at: datetime
    accept_revival: bool
    valid: bool
    reason: InvalidReason | None


@dataclass(frozen=True)
class GroupInput:
    group_id: str
    form_family: str
    ceiling: Decimal
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class BidResult:
    enterprise: str
    ucp: Decimal
    valid: bool
    qualified: bool
    rank: int | None  # UCP rank among valid bids, 1..N
    reason: str | None
    capacity: int
    winner_rank: int | None  # winner number 1..k when the bid won


@dataclass(frozen=True)
class Winner:
    enterprise: str
    price: Decimal
    rank: int  # winner number 1..k
    capacity: int
    revived: bool


@dataclass(frozen=True)
class GroupSelection:
    group_id: str
    status: Literal["awarded", "failed"]
    valid_bidders: int
    winner_cap: int
    bids: tuple[BidResult, ...]  # ordered: by rank, then invalid bids by enterprise id
    winners: tuple[Winner, ...]  # ordered by winner number
