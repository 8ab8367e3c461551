"""Sealed bids (密封报价), SPEC §4–§5: every version an enterprise submits is kept.

One row per version of an enterprise's bid in a group. A submission (or amendment) appends a
`submit` version with the product, pack price, capacity and the SHA-256 commitment of its
canonical content; a withdrawal appends a `withdraw` version without content. The latest
version (`current`) is the enterprise's bid in the group: live when it is a submission,
withdrawn otherwise. Rows are never updated except to clear `current` on the version a new
one replaces.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.catalog.models import QualityTier
from app.sqltypes import DecimalText, UTCDateTime, enum_type


class BidAction(StrEnum):
    submit = "submit"
    withdraw = "withdraw"


class Bid(SQLModel, table=True):
    __tablename__ = "bids"
    __table_args__ = (
        sa.UniqueConstraint(
            "round_id", "enterprise_id", "group_id", "version", name="uq_bids_version"
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "group_id"],
            ["catalog_groups.round_id", "catalog_groups.id"],
            name="fk_bids_group_catalog_groups",
        ),
        sa.CheckConstraint(
            "action = 'withdraw' OR (strength IS NOT NULL AND strength_unit IS NOT NULL"
            " AND units_per_pack IS NOT NULL AND dosage_form IS NOT NULL AND quality IS NOT NULL"
            " AND pack_price IS NOT NULL AND capacity IS NOT NULL AND accept_revival IS NOT NULL"
            " AND nonce IS NOT NULL AND commitment IS NOT NULL)",
            name="submission_complete",
        ),
        sa.Index("ix_bids_round_current", "round_id", "current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    group_id: str = Field(max_length=100)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    # 1, 2, … per (round, enterprise, group), submissions and withdrawals alike
    version: int
    action: BidAction = Field(sa_type=enum_type(BidAction, "bid_action"))
    # the latest version of this enterprise's bid in this group
    current: bool = True
    strength: Decimal | None = Field(default=None, sa_type=DecimalText)
    strength_unit: str | None = Field(default=None, max_length=20)
    units_per_pack: int | None = None
    dosage_form: str | None = Field(default=None, max_length=50)
    quality: QualityTier | None = Field(
        default=None, sa_type=enum_type(QualityTier, "quality_tier")
    )
    fill_volume: Decimal | None = Field(default=None, sa_type=DecimalText)
    fill_unit: str | None = Field(default=None, max_length=20)
    pack_price: Decimal | None = Field(default=None, sa_type=DecimalText)
    capacity: int | None = Field(default=None, sa_type=sa.BigInteger)
    accept_revival: bool | None = None
    # 128 random bits (hex), shown to the enterprise at once and to everyone at opening
    nonce: str | None = Field(default=None, max_length=32)
    # SHA-256 (hex) of the canonical bid, see app.bids.commitment
    commitment: str | None = Field(default=None, max_length=64)
    # when this version was made (for a submission: the bid's submission time, SPEC §6 ties)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str = Field(max_length=200, description="the token's name")
