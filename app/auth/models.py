"""API tokens: stored as the SHA-256 of a high-entropy random token, never in plain text."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import UTCDateTime, enum_type


class Role(StrEnum):
    bureau = "bureau"  # 医保局
    institution = "institution"  # 医疗机构
    enterprise = "enterprise"  # 企业


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'bureau' AND institution_id IS NULL AND enterprise_id IS NULL)"
            " OR (role = 'institution' AND institution_id IS NOT NULL AND enterprise_id IS NULL)"
            " OR (role = 'enterprise' AND enterprise_id IS NOT NULL AND institution_id IS NULL)",
            name="actor_matches_role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=enum_type(Role, "api_role"))
    institution_id: str | None = Field(
        default=None, foreign_key="institutions.id", max_length=100, index=True
    )
    enterprise_id: str | None = Field(
        default=None, foreign_key="enterprises.id", max_length=100, index=True
    )
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
