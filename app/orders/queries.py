"""Read-only sums over orders and invoices that other domains need (renewal, ledger,
fulfilment, surplus retention). Only models are imported here, so any service may use it.

Selections are by round and agreement year (a join on the contracts), or by a few contract
ids, never by a long id list (PostgreSQL caps the parameters of one statement)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.contracts.models import Contract
from app.orders.models import Invoice, Order, OrderStatus, SupplierRole


@dataclass(frozen=True)
class ContractVolumes:
    ordered: int = 0  # every order that was not rejected
    accepted: int = 0  # 已采购: accepted deliveries
    accepted_from_backup: int = 0  # accepted deliveries of the backup supplier


def _contracts_filter(
    query: Any, fk: Any, *, round_id: str | None, year: int | None, contract_ids: Sequence[int]
) -> Any:
    if contract_ids:
        query = query.where(fk.in_(list(contract_ids)))
    if round_id is not None or year is not None:
        query = query.join(Contract, col(Contract.id) == fk)
        if round_id is not None:
            query = query.where(col(Contract.round_id) == round_id)
        if year is not None:
            query = query.where(col(Contract.year) == year)
    return query


def volumes_by_contract(
    session: Session,
    *,
    round_id: str | None = None,
    year: int | None = None,
    contract_ids: Sequence[int] = (),
) -> dict[int, ContractVolumes]:
    keys = (col(Order.contract_id), col(Order.status), col(Order.supplier_role))
    query = core_select(*keys, func.sum(col(Order.volume))).group_by(*keys)
    query = _contracts_filter(
        query, col(Order.contract_id), round_id=round_id, year=year, contract_ids=contract_ids
    )
    sums: dict[int, tuple[int, int, int]] = {}
    for contract_id, status, role, volume in session.execute(query):
        ordered, accepted, backup = sums.get(contract_id, (0, 0, 0))
        volume = int(volume or 0)
        if status != OrderStatus.rejected:
            ordered += volume
        if status == OrderStatus.accepted:
            accepted += volume
            if role == SupplierRole.backup:
                backup += volume
        sums[contract_id] = (ordered, accepted, backup)
    return {cid: ContractVolumes(*v) for cid, v in sums.items()}


@dataclass(frozen=True)
class AcceptedInvoice:
    contract_id: int
    institution_id: str
    accepted_on: date
    amount: Decimal


def accepted_invoices(
    session: Session,
    *,
    round_id: str | None = None,
    year: int | None = None,
    contract_ids: Sequence[int] = (),
) -> list[AcceptedInvoice]:
    """Every invoice (one per accepted delivery) of the selected contracts."""
    query = core_select(
        col(Invoice.contract_id),
        col(Invoice.institution_id),
        col(Invoice.accepted_on),
        col(Invoice.amount),
    ).order_by(col(Invoice.id))
    query = _contracts_filter(
        query, col(Invoice.contract_id), round_id=round_id, year=year, contract_ids=contract_ids
    )
    return [AcceptedInvoice(c, i, d, Decimal(a)) for c, i, d, a in session.execute(query)]
