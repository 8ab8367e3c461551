"""Registered actors: medical institutions (医疗机构) and enterprises (上市许可持有人).

Registrations are global, not per round: a round's participants are the institutions that
report demand in it and the enterprises that bid in it.
"""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime, enum_type


class CreditLevel(StrEnum):
    """医药价格和招采信用评价 levels (SPEC §9)."""

    general = "general"
    moderate = "moderate"
    serious = "serious"
    particularly_serious = "particularly_serious"


class InstitutionBase(SQLModel):
    name: str = Field(default="", max_length=200)
    region: str = Field(max_length=100, description="region id, e.g. a prefecture (州市)")


class Institution(InstitutionBase, table=True):
    __tablename__ = "institutions"

    id: str = Field(primary_key=True, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)


class EnterpriseBase(SQLModel):
    name: str = Field(default="", max_length=200)
    credit_level: CreditLevel | None = Field(
        default=None, sa_type=enum_type(CreditLevel, "credit_level")
    )


class Enterprise(EnterpriseBase, table=True):
    __tablename__ = "enterprises"

    id: str = Field(primary_key=True, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
