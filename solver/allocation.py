"""Allocation of agreed volume to winners (SPEC §8)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Role = Literal["preferred", "primary", "backup", "optimised"]


@dataclass(frozen=True)
class InstitutionVolume:
    institution: str
    region: str
    agreed_volume: int
    preferred_enterprise: str | None


@dataclass(frozen=True)
class WinnerSupply:
    enterprise: str
    rank: int  # winner number, 1 first
    price: Decimal
    capacity: int


@dataclass(frozen=True)
class AllocationRow:
    institution: str
    enterprise: str
    volume: int
    role: Role


@dataclass(frozen=True)
class RegionRow:
    region: str
    primary: str | None
    backup: str | None


@dataclass(frozen=True)
class UnallocatedRegion:
    region: str
    volume: int
    reason: str


@dataclass(frozen=True)
class GroupAllocation:
    rows: tuple[AllocationRow, ...]  # ordered by (institution, enterprise)
    regions: tuple[RegionRow, ...]  # ordered by region id
    unallocated_volume: int
    unallocated: tuple[UnallocatedRegion, ...]
