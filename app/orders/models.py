"""Orders, deliveries, acceptance, invoices, payments and supply failures (SPEC §9).

An order goes placed → delivered → accepted (an invoice is issued) or rejected. Who delivers is
the contract's winner, or the region's backup supplier (备供) once the bureau or the institution
activates it after a supply failure. The invoice is payable to whoever delivered, at that
supplier's own winning price, and is due on the last day of the month after acceptance
(交货验收合格后次月底前).
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.sqltypes import DecimalText, UTCDateTime, enum_type


class OrderStatus(StrEnum):
    placed = "placed"
    delivered = "delivered"
    accepted = "accepted"
    rejected = "rejected"


class SupplierRole(StrEnum):
    winner = "winner"  # the contract's enterprise
    backup = "backup"  # the region's backup supplier, activated for this order


class FailureKind(StrEnum):
    not_delivered = "not_delivered"  # nothing delivered by the deadline
    late_delivery = "late_delivery"  # delivered, after the deadline


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("volume > 0", name="volume_positive"),
        sa.Index("ix_orders_round_status", "round_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100)
    contract_id: int = Field(foreign_key="contracts.id", index=True)
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    enterprise_id: str = Field(
        foreign_key="enterprises.id", max_length=100, index=True, description="the winner"
    )
    group_id: str = Field(max_length=100)
    volume: int = Field(sa_type=sa.BigInteger)
    ordered_on: date
    # the last on-time day: delivery_days business days after the order (SPEC §9)
    deadline: date
    supplier_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    supplier_role: SupplierRole = Field(sa_type=enum_type(SupplierRole, "supplier_role"))
    price: Decimal = Field(sa_type=DecimalText, description="the supplier's winning price")
    status: OrderStatus = Field(sa_type=enum_type(OrderStatus, "order_status"))
    delivered_on: date | None = None
    backup_activated_on: date | None = None
    accepted_on: date | None = None
    rejected_on: date | None = None
    rejection_reason: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100, index=True)
    contract_id: int = Field(foreign_key="contracts.id", index=True)
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    payee_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    volume: int = Field(sa_type=sa.BigInteger)
    amount: Decimal = Field(sa_type=DecimalText)
    accepted_on: date
    due_on: date = Field(index=True, description="settlement deadline (回款期限)")
    paid_amount: Decimal = Field(sa_type=DecimalText)
    paid_on: date | None = Field(default=None, description="the day it was paid in full")
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    amount: Decimal = Field(sa_type=DecimalText)
    paid_on: date
    recorded_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SupplyFailure(SQLModel, table=True):
    """A recorded supply failure (供应失败): the winner did not deliver within delivery_days."""

    __tablename__ = "supply_failures"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    round_id: str = Field(foreign_key="rounds.id", max_length=100, index=True)
    contract_id: int = Field(foreign_key="contracts.id")
    institution_id: str = Field(foreign_key="institutions.id", max_length=100, index=True)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=100, index=True)
    group_id: str = Field(max_length=100)
    region: str = Field(max_length=100)
    ordered_on: date
    deadline: date
    detected_on: date
    kind: FailureKind = Field(sa_type=enum_type(FailureKind, "failure_kind"))
    backup_enterprise_id: str | None = Field(
        default=None, foreign_key="enterprises.id", max_length=100
    )
    backup_activated_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
