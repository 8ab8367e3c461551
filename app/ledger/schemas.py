from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from app.common import MAX_INT

MonthStatus = Literal["closed", "current", "future"]


class LedgerMonth(BaseModel):
    """One month of a prepayment ledger: opening + disbursed − offset = closing."""

    month: int = Field(description="1 … 12 within the agreement year")
    starts_on: date
    ends_on: date
    status: MonthStatus = Field(
        description="closed: over; current: holds today; future: not begun (projected: the "
        "last month offsets whatever remains)"
    )
    opening: Decimal
    disbursed: Decimal
    accepted: Decimal = Field(description="purchases accepted in the month, yuan")
    offset: Decimal
    closing: Decimal = Field(description="outstanding prepayment (未冲抵余额)")


class InstitutionLedger(BaseModel):
    institution_id: str
    annual_contract_amount: Decimal
    prepay_ratio: Decimal
    prepayment: Decimal = Field(description="disbursed at the start of the agreement year")
    disbursed_on: date
    offset_total: Decimal = Field(
        description="offset in the months begun so far (closed and current; future months' "
        "offsets are projections)"
    )
    year_end_remainder: Decimal = Field(
        description="offset in the last month beyond its proportional share (SPEC §9); "
        "projected until the last month begins"
    )
    outstanding: Decimal = Field(description="closing balance of the latest month begun")
    months: list[LedgerMonth]


class FundMonth(LedgerMonth):
    net_cash_out: Decimal = Field(description="disbursed − offset: the fund's cash flow")


class FundLedger(BaseModel):
    institutions: int
    prepayment_total: Decimal
    offset_total: Decimal = Field(description="offset in the months begun so far")
    year_end_remainder: Decimal = Field(description="projected until the last month begins")
    outstanding: Decimal
    months: list[FundMonth]


class LedgerPublic(BaseModel):
    """The prepayment ledger (医保基金预付台账) of one round and agreement year."""

    round_id: str
    year: int
    starts_on: date
    ends_on: date
    as_of: date
    fund: FundLedger = Field(description="the sums over the institutions shown")
    institutions: list[InstitutionLedger]


class FulfilmentRow(BaseModel):
    """Purchased against agreed volume (约定采购量完成进度)."""

    key: dict[str, str | int] = Field(
        description="what the row is about: contract_id, institution_id, group_id, region, …"
    )
    agreed_volume: int
    ordered_volume: int
    purchased_volume: int = Field(description="accepted deliveries")
    within_agreed_volume: int
    beyond_agreed_volume: int = Field(description="purchases beyond the agreed volume, apart")
    from_backup_volume: int
    percent_complete: Decimal = Field(description="within-agreed ÷ agreed × 100")
    projected_volume: int = Field(description="linear projection of purchases to year end")
    projected_percent: Decimal


class FulfilmentPublic(BaseModel):
    round_id: str
    year: int
    by: str
    starts_on: date
    ends_on: date
    as_of: date
    elapsed_days: int
    year_days: int
    rows: list[FulfilmentRow]
    total: FulfilmentRow


SurplusGrade = Literal["A", "B", "C", "D"]


class SurplusRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 1,
                    "insurer_payment_ratio": "0.70",
                    "insured_share": "0.90",
                    "grades": {"H001": "A", "H002": "B"},
                }
            ]
        },
    )

    year: StrictInt = Field(ge=1, le=MAX_INT)
    insurer_payment_ratio: Decimal = Field(description="医保基金支付比例, 0 … 1")
    insured_share: Decimal = Field(description="参保人员使用占比, 0 … 1")
    grades: dict[str, SurplusGrade] = Field(
        description="the bureau's grade (A–D) per institution with contracts in the year"
    )

    @field_validator("insurer_payment_ratio", "insured_share")
    @classmethod
    def _ratio(cls, v: Decimal) -> Decimal:
        if not v.is_finite() or not Decimal(0) <= v <= Decimal(1):
            raise ValueError("must be between 0 and 1")
        return v


class SurplusRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    contract_id: int
    institution_id: str
    group_id: str
    enterprise_id: str
    agreed_volume: int
    purchased_volume: int
    completed: bool
    pre_vbp_unit_price: Decimal
    winning_price: Decimal
    insurer_payment_ratio: Decimal
    insured_share: Decimal
    grade_given: str
    grade: str = Field(description="applied: D when the agreed volume was not completed")
    grade_ratio: Decimal
    budget: Decimal
    actual: Decimal
    surplus: Decimal
    retention: Decimal
    computed_at: datetime


class SurplusPublic(BaseModel):
    round_id: str
    year: int
    retention_total: Decimal
    rows: list[SurplusRow]
