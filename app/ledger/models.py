"""The fund's prepayments (医保基金预付) and year-end surplus retention (结余留用), SPEC §9.

A prepayment row is the disbursement to one institution for one agreement year; the monthly
offsets are not stored: they follow from the disbursement and the accepted invoices by
`solver.agreement.prepayment_offsets`, so the ledger can always be recomputed and reconciled.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime


class Prepayment(SQLModel, table=True):
    __tablename__ = "prepayments"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "year", "institution_id", name="uq_prepayments_line"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    year: int
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    annual_contract_amount: Decimal = Field(sa_type=DecimalText)
    prepay_ratio: Decimal = Field(sa_type=DecimalText)
    amount: Decimal = Field(sa_type=DecimalText)
    disbursed_on: date
    created_at: datetime = Field(sa_type=UTCDateTime)


class SurplusRetention(SQLModel, table=True):
    __tablename__ = "surplus_retentions"

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contracts.id", unique=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    year: int
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    group_id: str = Field(max_length=100)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=100)
    agreed_volume: int = Field(sa_type=sa.BigInteger)
    purchased_volume: int = Field(sa_type=sa.BigInteger)
    pre_vbp_unit_price: Decimal = Field(sa_type=DecimalText)
    winning_price: Decimal = Field(sa_type=DecimalText)
    insurer_payment_ratio: Decimal = Field(sa_type=DecimalText)
    insured_share: Decimal = Field(sa_type=DecimalText)
    grade_given: str = Field(max_length=1, description="the bureau's grade")
    grade: str = Field(max_length=1, description="the grade applied (D if not completed)")
    grade_ratio: Decimal = Field(sa_type=DecimalText)
    completed: bool
    budget: Decimal = Field(sa_type=DecimalText)
    actual: Decimal = Field(sa_type=DecimalText)
    surplus: Decimal = Field(sa_type=DecimalText)
    retention: Decimal = Field(sa_type=DecimalText)
    computed_at: datetime = Field(sa_type=UTCDateTime)
