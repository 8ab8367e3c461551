"""Contracts (购销协议): one per (institution, winner, group) and agreement year, SPEC §9.

Created from the stored outcome when a round's results are published (year 1) and renewed
for each further year of the group's term (采购周期) with an agreed volume no lower than the
year before.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime, enum_type


class SupplyRole(StrEnum):
    """How the winner came to supply the institution (ROUND_DOCUMENT.md `allocations[].role`)."""

    preferred = "preferred"  # by-brand reporting (SPEC §8.1)
    primary = "primary"  # the region's drafter (SPEC §8.2)
    backup = "backup"
    optimised = "optimised"


class Contract(SQLModel, table=True):
    __tablename__ = "contracts"
    __table_args__ = (
        sa.UniqueConstraint(
            "round_id",
            "year",
            "institution_id",
            "group_id",
            "enterprise_id",
            name="uq_contracts_line",
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "group_id"],
            ["catalog_groups.round_id", "catalog_groups.id"],
            name="fk_contracts_group_catalog_groups",
        ),
        sa.CheckConstraint("agreed_volume >= 0", name="agreed_volume_non_negative"),
        sa.CheckConstraint("year >= 1 AND year <= term_years", name="year_within_term"),
        sa.Index("ix_contracts_round_year", "round_id", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    year: int = Field(description="agreement year, 1 … term_years")
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    group_id: str = Field(max_length=100)
    region: str = Field(max_length=100)
    role: SupplyRole = Field(sa_type=enum_type(SupplyRole, "supply_role"))
    agreed_volume: int = Field(sa_type=sa.BigInteger)
    price: Decimal = Field(sa_type=DecimalText)
    annual_amount: Decimal = Field(sa_type=DecimalText)
    term_years: int
    starts_on: date
    ends_on: date
    term_ends_on: date
    # the region's backup supplier (备供) and its own winning price, SPEC §8.3
    backup_enterprise_id: str | None = Field(
        default=None, foreign_key="enterprises.id", max_length=100
    )
    backup_price: Decimal | None = Field(default=None, sa_type=DecimalText)
    previous_contract_id: int | None = Field(default=None, foreign_key="contracts.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
