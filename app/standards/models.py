"""Payment standards (医保支付标准) per generic name and group, SPEC §9."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime


class PaymentStandard(SQLModel, table=True):
    __tablename__ = "payment_standards"
    __table_args__ = (
        sa.UniqueConstraint(
            "round_id", "group_id", "generic_name", name="uq_payment_standards_line"
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "group_id"],
            ["catalog_groups.round_id", "catalog_groups.id"],
            name="fk_payment_standards_group_catalog_groups",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    group_id: str = Field(max_length=100)
    generic_name: str = Field(max_length=100, index=True)
    form_family: str = Field(max_length=50)
    # per representative unit (代表品最小单位), as the winning prices
    standard: Decimal = Field(sa_type=DecimalText)
    basis: str = Field(max_length=20, description="highest_winner or lowest_winner")
    effective_from: date
    effective_until: date
    created_at: datetime = Field(sa_type=UTCDateTime)
