"""The catalog of a round: groups (分组), the unit of competition (SPEC §2).

A group lists one or more generic names (通用名; several when similar drugs are merged), a
form family, the representative specification (代表品) prices are converted to, the ceiling
(最高有效申报价) per representative unit and the pre-VBP unit price.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime, enum_type


class RatioTable(StrEnum):
    """Which agreed-ratio table applies (SPEC §7)."""

    standard = "standard"
    antimicrobial = "antimicrobial"


class QualityTier(StrEnum):
    originator = "originator"
    reference = "reference"
    gqce = "gqce"  # 通过一致性评价
    non_gqce = "non_gqce"


class Group(SQLModel, table=True):
    __tablename__ = "catalog_groups"

    round_id: str = Field(foreign_key="rounds.id", primary_key=True, max_length=100)
    id: str = Field(primary_key=True, max_length=100)
    generic_names: list[str] = Field(sa_type=sa.JSON)
    form_family: str = Field(max_length=50)
    representative_strength: Decimal = Field(sa_type=DecimalText)
    representative_strength_unit: str = Field(max_length=20)
    representative_dosage_form: str = Field(max_length=50)
    representative_fill_volume: Decimal | None = Field(default=None, sa_type=DecimalText)
    representative_fill_unit: str | None = Field(default=None, max_length=20)
    ceiling: Decimal = Field(sa_type=DecimalText)
    pre_vbp_unit_price: Decimal = Field(sa_type=DecimalText)
    ratio_table: RatioTable = Field(
        default=RatioTable.standard, sa_type=enum_type(RatioTable, "ratio_table")
    )
    # null: the round's rule set decides (eligible_quality)
    eligible_quality: list[str] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
