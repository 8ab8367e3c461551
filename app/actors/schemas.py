from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.actors.models import EnterpriseBase, InstitutionBase
from app.auth.models import Role
from app.common import Identifier


class InstitutionCreate(InstitutionBase):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"id": "H001", "name": "First People's Hospital", "region": "KM"}]
        },
    )

    id: Identifier
    region: str = Field(min_length=1, max_length=100)


class InstitutionPublic(InstitutionBase):
    id: str
    created_at: datetime


class EnterpriseCreate(EnterpriseBase):
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid",
        json_schema_extra={
            "examples": [{"id": "E01", "name": "Dian Pharma", "credit_level": None}]
        },
    )

    id: Identifier


class EnterprisePublic(EnterpriseBase):
    id: str
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "pharmacy desk"}]}
    )

    name: str = Field(min_length=1, max_length=200, description="who or what uses the token")


class TokenIssued(BaseModel):
    id: int
    role: Role
    actor_id: str | None
    name: str
    created_at: datetime
    token: str | None = Field(
        description="the bearer token, shown only in this response (null when an "
        "Idempotency-Key replays it: issue a new token if it was lost)"
    )
