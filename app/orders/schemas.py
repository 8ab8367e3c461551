from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.common import BodyRowId, PositiveDecimal
from app.orders.models import FailureKind, OrderStatus, SupplierRole


class OrderCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"contract_id": 1, "volume": 7000}]}
    )

    contract_id: BodyRowId = Field(description="one of the calling institution's contracts")
    volume: StrictInt = Field(
        gt=0, le=10**12, description="minimal units of the representative spec"
    )


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"delivered_on": "2027-01-06"}]}
    )

    delivered_on: date | None = Field(default=None, description="default: today")


class AcceptanceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"accepted_on": "2027-01-07"}]}
    )

    accepted_on: date | None = Field(default=None, description="验收日期; default: today")


class RejectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "12 packs damaged in transit", "rejected_on": "2027-01-07"}]
        },
    )

    reason: str = Field(min_length=1, max_length=2000)
    rejected_on: date | None = Field(default=None, description="default: today")


class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": "1441.30", "paid_on": "2027-02-20"}]},
    )

    amount: PositiveDecimal = Field(description="yuan, at most 2 decimal places")
    paid_on: date | None = Field(default=None, description="default: today")


class OrderPublic(BaseModel):
    id: int
    round_id: str
    contract_id: int
    institution_id: str
    enterprise_id: str = Field(description="the contract's winner")
    group_id: str
    volume: int
    ordered_on: date
    deadline: date = Field(description="last on-time delivery day (delivery_days business days)")
    supplier_id: str = Field(description="who delivers: the winner or the activated backup")
    supplier_role: SupplierRole
    price: Decimal = Field(description="the supplier's winning price")
    amount: Decimal = Field(description="volume × price, rounded to 0.01 yuan")
    status: OrderStatus
    supply_failure: bool = Field(
        description="the winner did not deliver within delivery_days (as of today)"
    )
    delivered_on: date | None
    backup_activated_on: date | None
    accepted_on: date | None
    rejected_on: date | None
    rejection_reason: str | None
    invoice_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount: Decimal
    paid_on: date
    recorded_by: str
    created_at: datetime


class InvoicePublic(BaseModel):
    id: int
    order_id: int
    round_id: str
    contract_id: int
    institution_id: str
    payee_id: str = Field(description="the enterprise that delivered (its receivable)")
    volume: int
    amount: Decimal
    accepted_on: date
    due_on: date = Field(description="结算期限: the last day of the month after acceptance")
    paid_amount: Decimal
    outstanding: Decimal
    paid_on: date | None = Field(description="the day it was paid in full")
    status: str = Field(description="open or paid")
    days_overdue: int = Field(description="as of today; for a paid invoice, as of its payment")
    overdue: bool = Field(description="unpaid after the due date")
    payments: list[PaymentPublic]
    version: int


class InvoiceTotals(BaseModel):
    invoices: int
    amount: Decimal
    paid_amount: Decimal
    outstanding: Decimal
    overdue_invoices: int
    overdue_outstanding: Decimal


class InvoicePage(BaseModel):
    as_of: date
    items: list[InvoicePublic]
    totals: InvoiceTotals = Field(description="over every invoice that matches, not one page")
    next_cursor: str | None = None


class SupplyFailurePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    round_id: str
    contract_id: int
    institution_id: str
    enterprise_id: str
    group_id: str
    region: str
    ordered_on: date
    deadline: date
    detected_on: date
    kind: FailureKind
    backup_enterprise_id: str | None
    backup_activated_on: date | None
    created_at: datetime


class FailureCheck(BaseModel):
    as_of: date
    recorded: list[SupplyFailurePublic] = Field(description="failures recorded by this check")


class SupplyRecord(BaseModel):
    """An enterprise's supply record (供应记录) as a winner, for credit evaluation."""

    enterprise_id: str
    round_id: str | None
    as_of: date
    orders: int = Field(description="orders placed on its contracts")
    on_time: int = Field(description="delivered by it within delivery_days")
    late: int = Field(description="delivered by it after the deadline (a supply failure)")
    failed: int = Field(
        description="not delivered by it and past the deadline: still open, or handed to the "
        "backup supplier (a supply failure)"
    )
    pending: int = Field(description="open and still within the deadline")
    supply_failures: int = Field(description="late + failed")
    rejected: int = Field(description="deliveries the institution rejected")
    backup_deliveries: int = Field(description="orders it delivered as a backup supplier")
