from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.common import MAX_INT
from app.contracts.models import SupplyRole


class ContractPublic(BaseModel):
    """A contract (购销协议) of one agreement year: annual agreed volume (年度约定采购量) × the
    winner's price = the annual contract amount (年度约定采购金额)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    round_id: str
    year: int = Field(description="agreement year, 1 … term_years")
    institution_id: str
    enterprise_id: str
    group_id: str
    region: str
    role: SupplyRole
    agreed_volume: int
    price: Decimal = Field(description="winning price per representative unit")
    annual_amount: Decimal
    term_years: int = Field(description="采购周期 of the group")
    starts_on: date
    ends_on: date
    term_ends_on: date
    backup_enterprise_id: str | None
    backup_price: Decimal | None
    previous_contract_id: int | None
    created_at: datetime


class AgreementYearCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"year": 2}]})

    year: StrictInt = Field(
        ge=2, le=MAX_INT, description="the agreement year to start: the current one + 1"
    )


class RenewedContract(BaseModel):
    contract_id: int
    previous_contract_id: int
    institution_id: str
    group_id: str
    enterprise_id: str
    previous_agreed_volume: int
    purchased_volume: int = Field(description="accepted in the previous agreement year")
    agreed_volume: int = Field(description="max(previous agreed volume, purchased volume)")
    annual_amount: Decimal


class AgreementYearPublic(BaseModel):
    round_id: str
    year: int
    starts_on: date
    ends_on: date
    contracts: list[RenewedContract]
    ended: list[int] = Field(description="previous-year contracts whose term has ended")
    prepayment_total: Decimal
