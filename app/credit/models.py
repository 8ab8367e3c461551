"""Credit ratings (医药价格和招采信用评价), SPEC §9: every rating with its reason, evidence and
the bar it imposes; the history is kept (ratings are never changed or deleted)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.actors.models import CreditLevel
from app.sqltypes import UTCDateTime, enum_type


class CreditRating(SQLModel, table=True):
    __tablename__ = "credit_ratings"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    level: CreditLevel = Field(sa_type=enum_type(CreditLevel, "credit_level"))
    reason: str = Field(sa_type=sa.Text)
    evidence: list[str] = Field(sa_type=sa.JSON)
    rated_on: date
    # the first day the enterprise may bid again, under the default rule set (null: no bar)
    bar_until: date | None = None
    rated_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
