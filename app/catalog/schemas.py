from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.catalog.models import QualityTier, RatioTable
from app.common import Identifier, PositiveDecimal
from solver.units import UnitError, fill_unit_family, strength_unit_family

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

GROUP_EXAMPLE: dict[str, Any] = {
    "id": "AML-ORAL",
    "generic_names": ["amlodipine"],
    "form_family": "oral_regular",
    "representative": {"strength": "5", "strength_unit": "mg", "dosage_form": "tablet"},
    "ceiling": "0.5000",
    "pre_vbp_unit_price": "0.9000",
    "ratio_table": "standard",
}


class Specification(BaseModel):
    """A strength with its unit, a dosage form, and for liquids a fill volume: what the
    price-ratio rules compare (SPEC §4). The representative and every bid's product have one."""

    model_config = ConfigDict(extra="forbid")

    strength: PositiveDecimal
    strength_unit: str = Field(min_length=1, max_length=20, examples=["mg"])
    dosage_form: str = Field(min_length=1, max_length=50, examples=["tablet"])
    fill_volume: PositiveDecimal | None = Field(default=None, description="liquids only")
    fill_unit: str | None = Field(default=None, max_length=20, examples=["ml"])

    @field_validator("strength_unit")
    @classmethod
    def _strength_unit(cls, v: str) -> str:
        try:
            strength_unit_family(v)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("fill_unit")
    @classmethod
    def _fill_unit(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                fill_unit_family(v)
            except UnitError as exc:
                raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _fill_pair(self) -> "Specification":
        if (self.fill_volume is None) != (self.fill_unit is None):
            raise ValueError("fill_volume and fill_unit go together")
        return self


class Representative(Specification):
    """代表品: the specification prices are converted to (SPEC §4)."""


class GroupFields(BaseModel):
    """A group's fields as in the round document (ROUND_DOCUMENT.md `groups[]`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{k: v for k, v in GROUP_EXAMPLE.items() if k != "id"}]},
    )

    generic_names: list[Name] = Field(
        min_length=1, description="通用名; several when similar drugs are merged into one group"
    )
    form_family: str = Field(min_length=1, max_length=50, examples=["oral_regular"])
    representative: Representative
    ceiling: PositiveDecimal = Field(description="最高有效申报价 per representative unit")
    pre_vbp_unit_price: PositiveDecimal
    ratio_table: RatioTable = RatioTable.standard
    eligible_quality: list[QualityTier] | None = Field(
        default=None, description="null: the rule set's eligible_quality"
    )

    @field_validator("generic_names")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


class GroupCreate(GroupFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [GROUP_EXAMPLE]})

    id: Identifier


class GroupPublic(GroupCreate):
    created_at: datetime
    updated_at: datetime


class GroupReplace(GroupFields):
    """A replacement of a group: its fields, or the group as GET gives it, edited (its id must
    be the one in the path; the timestamps are the service's and are ignored)."""

    id: Identifier | None = Field(default=None, description="if given, the id in the path")
    created_at: datetime | None = Field(default=None, description="read-only, ignored")
    updated_at: datetime | None = Field(default=None, description="read-only, ignored")
