"""Orders → deliveries → acceptance → invoices → payments, and supply failures (SPEC §9).

- An institution orders against one of its contracts, while the round is in its agreement
  period and today lies in the contract's agreement year (409 `outside-term` otherwise). The
  delivery deadline is `rules.delivery_days` business days after the order day
  (`solver.agreement.delivery_deadline`).
- The supplier delivers (the winner bears the delivery cost); only the order's current supplier
  may: another enterprise is told the order does not exist, and the winner of an order handed
  to the backup supplier gets 409 `order-state`.
- A delivery later than the deadline, or no delivery by then, is a supply failure; it is
  recorded when the late delivery arrives, when the bureau or the institution checks, or when
  failures or a supply record are listed. The bureau or the institution may then activate the
  region's backup supplier (备供) for the order, at the backup's own winning price.
- The institution accepts a delivery (with a date) or rejects it (with a reason). Acceptance
  issues the invoice: amount = round-half-up(volume × price, 0.01), payable to the supplier,
  due on the last day of the month after acceptance (`solver.agreement.settlement_due_date`).
- The institution records payments; together they never exceed the invoice. An invoice unpaid
  after its due date is overdue by `solver.agreement.days_overdue` days.

Every date an actor gives must lie between the agreement start and today, and after the step
before it (ordered ≤ delivered ≤ accepted ≤ paid; a backup delivers no earlier than it took
the order, a winner whose failure is on record no earlier than the day after the deadline);
errors name the field. Rows are locked before they change, so two acceptances of one order
cannot both succeed.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.actors.models import Enterprise, Institution
from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import Principal
from app.concurrency import check_if_match
from app.contracts.access import get_contract
from app.contracts.auditing import snapshot
from app.contracts.errors import NoBackupSupplier, OrderState, OutsideTerm
from app.contracts.models import Contract
from app.contracts.periods import local_date
from app.errors import InvalidInput, NotFound
from app.orders.models import (
    FailureKind,
    Invoice,
    Order,
    OrderStatus,
    Payment,
    SupplierRole,
    SupplyFailure,
)
from app.orders.schemas import (
    AcceptanceCreate,
    DeliveryCreate,
    InvoicePage,
    InvoicePublic,
    InvoiceTotals,
    OrderCreate,
    OrderPublic,
    PaymentCreate,
    PaymentPublic,
    RejectionCreate,
    SupplyRecord,
)
from app.rounds.access import load_round, require_state, rules_of
from app.rounds.lifecycle import RoundState
from solver.agreement import days_overdue, delivery_deadline, settlement_due_date
from solver.money import CENT, round_money

ORDER, INVOICE, PAYMENT, FAILURE = "order", "invoice", "payment", "supply_failure"
ZERO = Decimal("0.00")
_ORDER_AUDITED = (
    "contract_id",
    "volume",
    "ordered_on",
    "deadline",
    "supplier_id",
    "supplier_role",
    "price",
    "status",
    "delivered_on",
    "backup_activated_on",
    "accepted_on",
    "rejected_on",
    "rejection_reason",
)


def _order_state(o: Order) -> dict[str, Any]:
    return snapshot({k: getattr(o, k) for k in _ORDER_AUDITED})


def _lock(query: Any) -> Any:
    # populate_existing: another transaction may have changed the row while we waited
    return query.with_for_update().execution_options(populate_existing=True)


def _check_date(
    value: date, *, field: str, today: date, not_before: Sequence[tuple[date, str]]
) -> None:
    """A date an actor gives: not in the future, not before any of `not_before`."""
    problems = []
    if value > today:
        problems.append((field, f"must not be after today ({today.isoformat()})"))
    for bound, what in not_before:
        if value < bound:
            problems.append((field, f"must not be before {what} ({bound.isoformat()})"))
    if problems:
        raise InvalidInput(f"invalid {field.rsplit('.', 1)[-1]}", problems[:1])


# -- visibility -------------------------------------------------------------------------------


def _can_see_order(viewer: Principal, o: Order) -> bool:
    if viewer.role is Role.bureau:
        return True
    if viewer.role is Role.institution:
        return o.institution_id == viewer.actor_id
    return viewer.actor_id in (o.enterprise_id, o.supplier_id)


def _scope_orders(query: Any, viewer: Principal) -> Any:
    if viewer.role is Role.institution:
        return query.where(col(Order.institution_id) == viewer.actor_id)
    if viewer.role is Role.enterprise:
        return query.where(
            or_(
                col(Order.enterprise_id) == viewer.actor_id,
                col(Order.supplier_id) == viewer.actor_id,
            )
        )
    return query


def _load_order(session: Session, order_id: int, *, viewer: Principal, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id)
    row: Order | None = session.exec(_lock(query) if lock else query).one_or_none()
    if row is None or not _can_see_order(viewer, row):
        raise NotFound(f"no order {order_id}")
    return row


def _scope_invoices(query: Any, viewer: Principal) -> Any:
    if viewer.role is Role.institution:
        return query.where(col(Invoice.institution_id) == viewer.actor_id)
    if viewer.role is Role.enterprise:
        return query.where(col(Invoice.payee_id) == viewer.actor_id)
    return query


def _load_invoice(
    session: Session, invoice_id: int, *, viewer: Principal, lock: bool = False
) -> Invoice:
    query = _scope_invoices(select(Invoice).where(Invoice.id == invoice_id), viewer)
    row: Invoice | None = session.exec(_lock(query) if lock else query).one_or_none()
    if row is None:
        raise NotFound(f"no invoice {invoice_id}")
    return row


# -- views ------------------------------------------------------------------------------------


def is_failure(o: Order, today: date) -> bool:
    """SPEC §9: the winner did not deliver within delivery_days (delivered on the deadline is
    on time); an order handed to the backup supplier is one."""
    if o.supplier_role is SupplierRole.backup:
        return True
    delivered = o.delivered_on if o.delivered_on is not None else today
    return delivered > o.deadline


def invoice_ids(session: Session, orders: Sequence[Order]) -> dict[int, int]:
    """order id -> invoice id, for the accepted ones among `orders`."""
    ids = [o.id for o in orders if o.id is not None and o.status is OrderStatus.accepted]
    if not ids:
        return {}
    rows = session.exec(
        select(col(Invoice.order_id), col(Invoice.id)).where(col(Invoice.order_id).in_(ids))
    )
    return {order_id: invoice_id for order_id, invoice_id in rows if invoice_id is not None}


def order_public(
    session: Session, o: Order, today: date, invoices: dict[int, int] | None = None
) -> OrderPublic:
    assert o.id is not None
    invoice_id = (invoices if invoices is not None else invoice_ids(session, [o])).get(o.id)
    return OrderPublic(
        id=o.id,
        round_id=o.round_id,
        contract_id=o.contract_id,
        institution_id=o.institution_id,
        enterprise_id=o.enterprise_id,
        group_id=o.group_id,
        volume=o.volume,
        ordered_on=o.ordered_on,
        deadline=o.deadline,
        supplier_id=o.supplier_id,
        supplier_role=o.supplier_role,
        price=o.price,
        amount=round_money(o.volume * o.price),
        status=o.status,
        supply_failure=is_failure(o, today),
        delivered_on=o.delivered_on,
        backup_activated_on=o.backup_activated_on,
        accepted_on=o.accepted_on,
        rejected_on=o.rejected_on,
        rejection_reason=o.rejection_reason,
        invoice_id=invoice_id,
        version=o.version,
        created_at=o.created_at,
        updated_at=o.updated_at,
    )


def invoice_public(inv: Invoice, today: date, payments: Sequence[Payment] = ()) -> InvoicePublic:
    assert inv.id is not None
    outstanding = inv.amount - inv.paid_amount
    late = days_overdue(inv.due_on, inv.paid_on, today)
    return InvoicePublic(
        id=inv.id,
        order_id=inv.order_id,
        round_id=inv.round_id,
        contract_id=inv.contract_id,
        institution_id=inv.institution_id,
        payee_id=inv.payee_id,
        volume=inv.volume,
        amount=inv.amount,
        accepted_on=inv.accepted_on,
        due_on=inv.due_on,
        paid_amount=inv.paid_amount,
        outstanding=outstanding,
        paid_on=inv.paid_on,
        status="paid" if inv.paid_on is not None else "open",
        days_overdue=late,
        overdue=inv.paid_on is None and today > inv.due_on,
        payments=[PaymentPublic.model_validate(p) for p in payments],
        version=inv.version,
    )


def _payments(session: Session, invoice_ids: Sequence[int]) -> dict[int, list[Payment]]:
    out: dict[int, list[Payment]] = {i: [] for i in invoice_ids}
    if invoice_ids:
        for p in session.exec(
            select(Payment)
            .where(col(Payment.invoice_id).in_(list(invoice_ids)))
            .order_by(col(Payment.id))
        ):
            out[p.invoice_id].append(p)
    return out


# -- orders -----------------------------------------------------------------------------------


def place_order(session: Session, *, data: OrderCreate, actor: Principal, now: datetime) -> Order:
    contract = get_contract(session, data.contract_id, viewer=actor)
    r = load_round(session, contract.round_id, lock="share")
    require_state(r, RoundState.in_agreement, doing="place an order")
    today = local_date(now)
    if today < contract.starts_on:
        raise OutsideTerm(
            f"contract {contract.id} runs from {contract.starts_on.isoformat()}; "
            f"no orders before its agreement year starts (today is {today.isoformat()})",
            starts_on=contract.starts_on.isoformat(),
        )
    if today > contract.ends_on:
        renewal = session.exec(
            select(Contract.id).where(col(Contract.previous_contract_id) == contract.id)
        ).first()
        if contract.ends_on >= contract.term_ends_on:
            more = "its term has ended"
        elif renewal is not None:
            more = f"order against its renewal, contract {renewal}"
        else:
            more = f"start agreement year {contract.year + 1} to renew it"
        raise OutsideTerm(
            f"contract {contract.id} ran until {contract.ends_on.isoformat()}: {more}",
            ends_on=contract.ends_on.isoformat(),
        )
    rules = rules_of(r)
    if data.volume > rules.max_unit_volume:
        raise InvalidInput(
            "invalid order", [("body.volume", f"exceeds max_unit_volume {rules.max_unit_volume}")]
        )
    order = Order(
        round_id=contract.round_id,
        contract_id=data.contract_id,
        institution_id=contract.institution_id,
        enterprise_id=contract.enterprise_id,
        group_id=contract.group_id,
        volume=data.volume,
        ordered_on=today,
        deadline=delivery_deadline(today, rules.delivery_days),
        supplier_id=contract.enterprise_id,
        supplier_role=SupplierRole.winner,
        price=contract.price,
        status=OrderStatus.placed,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    _audit_order(session, order, "place", None, actor=actor, now=now)
    return order


def _audit_order(
    session: Session,
    o: Order,
    action: str,
    before: dict[str, Any] | None,
    *,
    actor: Principal,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        now=now,
        action=action,
        entity_type=ORDER,
        entity_id=str(o.id),
        round_id=o.round_id,
        before=before,
        after=_order_state(o),
    )


def _touch(o: Order, now: datetime) -> None:
    o.version += 1
    o.updated_at = now


def get_order(session: Session, order_id: int, *, viewer: Principal) -> Order:
    return _load_order(session, order_id, viewer=viewer)


def list_orders(
    session: Session,
    *,
    viewer: Principal,
    round_id: str | None,
    contract_id: int | None,
    status: OrderStatus | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[Order], int | None]:
    query = _scope_orders(select(Order), viewer)
    if round_id is not None:
        query = query.where(col(Order.round_id) == round_id)
    if contract_id is not None:
        query = query.where(col(Order.contract_id) == contract_id)
    if status is not None:
        query = query.where(col(Order.status) == status)
    if after_id is not None:
        query = query.where(col(Order.id) > after_id)
    rows = list(session.exec(query.order_by(col(Order.id)).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


def deliver(
    session: Session,
    *,
    order_id: int,
    data: DeliveryCreate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Order:
    o = _load_order(session, order_id, viewer=actor, lock=True)
    if o.supplier_id != actor.actor_id:
        raise OrderState(
            f"order {order_id} was handed to the backup supplier {o.supplier_id} on "
            f"{o.backup_activated_on}; only it may deliver",
            order_status=o.status.value,
        )
    check_if_match(if_match, o.version, what=f"order {order_id}")
    if o.status is not OrderStatus.placed:
        raise OrderState(
            f"order {order_id} is {o.status.value}; it was delivered on {o.delivered_on}",
            order_status=o.status.value,
        )
    today = local_date(now)
    delivered_on = data.delivered_on or today
    not_before = [(o.ordered_on, "the order day")]
    if o.supplier_role is SupplierRole.backup:
        assert o.backup_activated_on is not None
        not_before.append((o.backup_activated_on, "the day the backup supplier took the order"))
    _check_date(delivered_on, field="body.delivered_on", today=today, not_before=not_before)
    failure = _failure_of(session, o) if o.supplier_role is SupplierRole.winner else None
    if failure is not None and delivered_on <= o.deadline:
        # SPEC §9: the failure to deliver by the deadline is on the record (and feeds credit
        # evaluation); a delivery entered afterwards cannot be dated in time and undo it
        raise InvalidInput(
            "invalid delivered_on",
            [
                (
                    "body.delivered_on",
                    f"must be after the deadline ({o.deadline.isoformat()}): a supply failure "
                    f"of order {order_id} was recorded on {failure.detected_on.isoformat()}",
                )
            ],
        )
    before = _order_state(o)
    o.status = OrderStatus.delivered
    o.delivered_on = delivered_on
    _touch(o, now)
    session.add(o)
    session.flush()
    _audit_order(session, o, "deliver", before, actor=actor, now=now)
    if o.supplier_role is SupplierRole.winner and delivered_on > o.deadline:
        _record_failure(session, o, FailureKind.late_delivery, today=today, actor=actor, now=now)
    return o


def accept(
    session: Session,
    *,
    order_id: int,
    data: AcceptanceCreate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Invoice:
    o = _load_order(session, order_id, viewer=actor, lock=True)
    check_if_match(if_match, o.version, what=f"order {order_id}")
    _require_delivered(o, doing="accept")
    assert o.delivered_on is not None and o.id is not None
    contract = session.get(Contract, o.contract_id)
    assert contract is not None
    today = local_date(now)
    accepted_on = data.accepted_on or today
    _check_date(
        accepted_on,
        field="body.accepted_on",
        today=today,
        not_before=[
            (contract.starts_on, "the agreement start"),
            (o.delivered_on, "the delivery day"),
        ],
    )
    before = _order_state(o)
    o.status = OrderStatus.accepted
    o.accepted_on = accepted_on
    _touch(o, now)
    session.add(o)
    amount = round_money(o.volume * o.price)
    invoice = Invoice(
        order_id=o.id,
        round_id=o.round_id,
        contract_id=o.contract_id,
        institution_id=o.institution_id,
        payee_id=o.supplier_id,
        volume=o.volume,
        amount=amount,
        accepted_on=accepted_on,
        due_on=settlement_due_date(accepted_on),
        paid_amount=ZERO,
        created_at=now,
        updated_at=now,
    )
    session.add(invoice)
    session.flush()
    _audit_order(session, o, "accept", before, actor=actor, now=now)
    audit.record(
        session,
        actor=actor,
        now=now,
        action="issue",
        entity_type=INVOICE,
        entity_id=str(invoice.id),
        round_id=o.round_id,
        after=snapshot(invoice, exclude=("created_at", "updated_at")),
    )
    return invoice


def _failure_of(session: Session, o: Order) -> SupplyFailure | None:
    return session.exec(select(SupplyFailure).where(SupplyFailure.order_id == o.id)).first()


def _require_delivered(o: Order, *, doing: str) -> None:
    if o.status is OrderStatus.delivered:
        return
    if o.status is OrderStatus.placed:
        detail = f"cannot {doing} order {o.id}: nothing has been delivered yet"
    elif o.status is OrderStatus.accepted:
        detail = f"cannot {doing} order {o.id}: it was accepted on {o.accepted_on}"
    else:
        detail = f"cannot {doing} order {o.id}: its delivery was rejected on {o.rejected_on}"
    raise OrderState(detail, order_status=o.status.value)


def reject(
    session: Session,
    *,
    order_id: int,
    data: RejectionCreate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Order:
    o = _load_order(session, order_id, viewer=actor, lock=True)
    check_if_match(if_match, o.version, what=f"order {order_id}")
    _require_delivered(o, doing="reject")
    assert o.delivered_on is not None
    today = local_date(now)
    rejected_on = data.rejected_on or today
    _check_date(
        rejected_on,
        field="body.rejected_on",
        today=today,
        not_before=[(o.delivered_on, "the delivery day")],
    )
    before = _order_state(o)
    o.status = OrderStatus.rejected
    o.rejected_on = rejected_on
    o.rejection_reason = data.reason
    _touch(o, now)
    session.add(o)
    session.flush()
    _audit_order(session, o, "reject", before, actor=actor, now=now)
    return o


# -- supply failures and the backup supplier --------------------------------------------------


def _record_failure(
    session: Session,
    o: Order,
    kind: FailureKind,
    *,
    today: date,
    actor: Principal,
    now: datetime,
) -> SupplyFailure:
    existing = session.exec(
        select(SupplyFailure).where(SupplyFailure.order_id == o.id)
    ).one_or_none()
    if existing is not None:
        if existing.kind is not kind and kind is FailureKind.late_delivery:
            before = {"kind": existing.kind.value}
            existing.kind = kind
            session.add(existing)
            session.flush()
            _audit_failure(session, existing, "update", before, actor=actor, now=now)
        return existing
    contract = session.get(Contract, o.contract_id)
    assert contract is not None and o.id is not None
    failure = SupplyFailure(
        order_id=o.id,
        round_id=o.round_id,
        contract_id=o.contract_id,
        institution_id=o.institution_id,
        enterprise_id=o.enterprise_id,
        group_id=o.group_id,
        region=contract.region,
        ordered_on=o.ordered_on,
        deadline=o.deadline,
        detected_on=today,
        kind=kind,
        created_at=now,
    )
    session.add(failure)
    session.flush()
    _audit_failure(session, failure, "record", None, actor=actor, now=now)
    return failure


def _audit_failure(
    session: Session,
    f: SupplyFailure,
    action: str,
    before: dict[str, Any] | None,
    *,
    actor: Principal,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        now=now,
        action=action,
        entity_type=FAILURE,
        entity_id=str(f.id),
        round_id=f.round_id,
        before=before,
        after=snapshot(f, exclude=("created_at",)),
    )


def detect_failures(
    session: Session,
    *,
    viewer: Principal,
    now: datetime,
    round_id: str | None = None,
    enterprise_id: str | None = None,
) -> list[SupplyFailure]:
    """Record a failure for every open order of the winner past its deadline (the viewer's
    orders only); returns the failures recorded now.

    The orders are locked first, in id order, as a delivery or a backup activation locks
    its order: two checks at once (lists record failures too) take turns on each order, and
    the later one finds the failures the first recorded instead of failing on them
    (PostgreSQL; SQLite has one writer at a time). A delivery that got in first takes the
    order out of the check (PostgreSQL checks a row it waited for again)."""
    today = local_date(now)
    query = (
        select(Order)
        .outerjoin(SupplyFailure, col(SupplyFailure.order_id) == col(Order.id))
        .where(
            col(SupplyFailure.id).is_(None),
            col(Order.status) == OrderStatus.placed,
            col(Order.supplier_role) == SupplierRole.winner,
            col(Order.deadline) < today,
        )
    )
    query = _scope_orders(query, viewer)
    if round_id is not None:
        query = query.where(col(Order.round_id) == round_id)
    if enterprise_id is not None:
        query = query.where(col(Order.enterprise_id) == enterprise_id)
    overdue = session.exec(
        query.order_by(col(Order.id))
        .with_for_update(of=Order)  # not the failures, the null side of the join
        .execution_options(populate_existing=True)
    ).all()
    if not overdue:
        return []
    # recorded meanwhile by a check that held these orders before us
    recorded = set(
        session.exec(
            select(col(SupplyFailure.order_id)).where(
                col(SupplyFailure.order_id).in_([o.id for o in overdue])
            )
        )
    )
    return [
        _record_failure(session, o, FailureKind.not_delivered, today=today, actor=viewer, now=now)
        for o in overdue
        if o.id not in recorded
    ]


def list_failures(
    session: Session,
    *,
    viewer: Principal,
    round_id: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[SupplyFailure], int | None]:
    query = select(SupplyFailure)
    if viewer.role is Role.institution:
        query = query.where(col(SupplyFailure.institution_id) == viewer.actor_id)
    elif viewer.role is Role.enterprise:
        query = query.where(
            or_(
                col(SupplyFailure.enterprise_id) == viewer.actor_id,
                col(SupplyFailure.backup_enterprise_id) == viewer.actor_id,
            )
        )
    if round_id is not None:
        query = query.where(col(SupplyFailure.round_id) == round_id)
    if after_id is not None:
        query = query.where(col(SupplyFailure.id) > after_id)
    rows = list(session.exec(query.order_by(col(SupplyFailure.id)).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


def activate_backup(
    session: Session,
    *,
    order_id: int,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Order:
    """SPEC §9: after a supply failure the region's backup supplier takes the order over, at
    its own winning price; the winner's failure stays on its record."""
    o = _load_order(session, order_id, viewer=actor, lock=True)
    if actor.role is Role.enterprise:  # enterprises see orders but never hand them over
        raise NotFound(f"no order {order_id}")
    check_if_match(if_match, o.version, what=f"order {order_id}")
    if o.supplier_role is SupplierRole.backup:
        raise OrderState(
            f"order {order_id} was already handed to the backup supplier {o.supplier_id} on "
            f"{o.backup_activated_on}",
            order_status=o.status.value,
        )
    if o.status is not OrderStatus.placed:
        raise OrderState(
            f"order {order_id} is {o.status.value}: only an undelivered order can go to the "
            "backup supplier",
            order_status=o.status.value,
        )
    today = local_date(now)
    if today <= o.deadline:
        raise OrderState(
            f"order {order_id} is not a supply failure: {o.supplier_id} may deliver until "
            f"{o.deadline.isoformat()}",
            order_status=o.status.value,
            deadline=o.deadline.isoformat(),
        )
    contract = session.get(Contract, o.contract_id)
    assert contract is not None
    if contract.backup_enterprise_id is None or contract.backup_price is None:
        raise NoBackupSupplier(
            f"region {contract.region} has no backup supplier in group {contract.group_id} "
            f"(one winner, or no primary): order {order_id} stays with {o.supplier_id}"
        )
    failure = _record_failure(
        session, o, FailureKind.not_delivered, today=today, actor=actor, now=now
    )
    before_failure = snapshot(failure, exclude=("created_at",))
    failure.backup_enterprise_id = contract.backup_enterprise_id
    failure.backup_activated_on = today
    session.add(failure)
    before = _order_state(o)
    o.supplier_id = contract.backup_enterprise_id
    o.supplier_role = SupplierRole.backup
    o.price = contract.backup_price
    o.backup_activated_on = today
    _touch(o, now)
    session.add(o)
    session.flush()
    _audit_failure(session, failure, "activate_backup", before_failure, actor=actor, now=now)
    _audit_order(session, o, "activate_backup", before, actor=actor, now=now)
    return o


def supply_record(
    session: Session,
    *,
    enterprise_id: str,
    round_id: str | None,
    viewer: Principal,
    now: datetime,
) -> SupplyRecord:
    if session.get(Enterprise, enterprise_id) is None or (
        viewer.role is Role.enterprise and viewer.actor_id != enterprise_id
    ):
        raise NotFound(f"no enterprise {enterprise_id!r}")
    detect_failures(session, viewer=viewer, now=now, round_id=round_id, enterprise_id=enterprise_id)
    today = local_date(now)
    query = select(Order).where(
        or_(col(Order.enterprise_id) == enterprise_id, col(Order.supplier_id) == enterprise_id)
    )
    if round_id is not None:
        query = query.where(col(Order.round_id) == round_id)
    counts = dict.fromkeys(
        ("orders", "on_time", "late", "failed", "pending", "rejected", "backup_deliveries"), 0
    )
    for o in session.exec(query):
        if o.enterprise_id != enterprise_id:  # it supplied as the backup
            if o.delivered_on is not None:
                counts["backup_deliveries"] += 1
            continue
        counts["orders"] += 1
        if o.status is OrderStatus.rejected:
            counts["rejected"] += 1
        if o.supplier_role is SupplierRole.backup:
            counts["failed"] += 1
        elif o.delivered_on is not None:
            counts["late" if o.delivered_on > o.deadline else "on_time"] += 1
        elif today > o.deadline:
            counts["failed"] += 1
        else:
            counts["pending"] += 1
    return SupplyRecord(
        enterprise_id=enterprise_id,
        round_id=round_id,
        as_of=today,
        supply_failures=counts["late"] + counts["failed"],
        **counts,
    )


# -- invoices and payments --------------------------------------------------------------------


def get_invoice(
    session: Session, invoice_id: int, *, viewer: Principal, now: datetime
) -> InvoicePublic:
    inv = _load_invoice(session, invoice_id, viewer=viewer)
    assert inv.id is not None
    return invoice_public(inv, local_date(now), _payments(session, [inv.id])[inv.id])


def list_invoices(
    session: Session,
    *,
    viewer: Principal,
    now: datetime,
    round_id: str | None = None,
    institution_id: str | None = None,
    payee_id: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> InvoicePage:
    """Invoices with their due dates and days overdue as of today: the bureau's all, an
    institution's own, an enterprise's receivables."""
    today = local_date(now)
    query = _scope_invoices(select(Invoice), viewer)
    if round_id is not None:
        query = query.where(col(Invoice.round_id) == round_id)
    if institution_id is not None:
        query = query.where(col(Invoice.institution_id) == institution_id)
    if payee_id is not None:
        query = query.where(col(Invoice.payee_id) == payee_id)
    if status == "open":
        query = query.where(col(Invoice.paid_on).is_(None))
    elif status == "paid":
        query = query.where(col(Invoice.paid_on).is_not(None))
    if overdue is True:
        query = query.where(col(Invoice.paid_on).is_(None), col(Invoice.due_on) < today)
    elif overdue is False:
        query = query.where(or_(col(Invoice.paid_on).is_not(None), col(Invoice.due_on) >= today))
    everything = list(session.exec(query.order_by(col(Invoice.id))))
    totals = InvoiceTotals(
        invoices=len(everything),
        amount=sum((i.amount for i in everything), ZERO),
        paid_amount=sum((i.paid_amount for i in everything), ZERO),
        outstanding=sum((i.amount - i.paid_amount for i in everything), ZERO),
        overdue_invoices=sum(1 for i in everything if i.paid_on is None and today > i.due_on),
        overdue_outstanding=sum(
            (
                i.amount - i.paid_amount
                for i in everything
                if i.paid_on is None and today > i.due_on
            ),
            ZERO,
        ),
    )
    page = [i for i in everything if after_id is None or (i.id or 0) > after_id]
    cursor = None
    if limit is not None and len(page) > limit:
        page = page[:limit]
        cursor = str(page[-1].id)
    payments = _payments(session, [i.id for i in page if i.id is not None])
    return InvoicePage(
        as_of=today,
        items=[invoice_public(i, today, payments[i.id or 0]) for i in page],
        totals=totals,
        next_cursor=cursor,
    )


def actor_invoices(
    session: Session,
    *,
    role: Role,
    actor_id: str,
    viewer: Principal,
    now: datetime,
    **filters: Any,
) -> InvoicePage:
    """An institution's invoices or an enterprise's receivables; another institution or
    enterprise is told it does not exist."""
    model = Institution if role is Role.institution else Enterprise
    if session.get(model, actor_id) is None or (
        viewer.role is not Role.bureau and viewer.actor_id != actor_id
    ):
        raise NotFound(f"no {role.value} {actor_id!r}")
    if role is Role.institution:
        return list_invoices(session, viewer=viewer, now=now, institution_id=actor_id, **filters)
    return list_invoices(session, viewer=viewer, now=now, payee_id=actor_id, **filters)


def record_payment(
    session: Session,
    *,
    invoice_id: int,
    data: PaymentCreate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> InvoicePublic:
    inv = _load_invoice(session, invoice_id, viewer=actor, lock=True)
    assert inv.id is not None
    check_if_match(if_match, inv.version, what=f"invoice {invoice_id}")
    amount = data.amount
    if amount != amount.quantize(CENT):
        raise InvalidInput(
            "invalid payment", [("body.amount", "must have at most 2 decimal places (0.01 yuan)")]
        )
    outstanding = inv.amount - inv.paid_amount
    if amount > outstanding:
        raise InvalidInput(
            "payment above the invoice",
            [
                (
                    "body.amount",
                    f"{amount} yuan exceeds the {outstanding} yuan still due on invoice "
                    f"{invoice_id} (amount {inv.amount}, paid {inv.paid_amount})",
                )
            ],
        )
    today = local_date(now)
    paid_on = data.paid_on or today
    _check_date(
        paid_on,
        field="body.paid_on",
        today=today,
        not_before=[(inv.accepted_on, "the acceptance day")],
    )
    before = snapshot(inv, exclude=("created_at", "updated_at"))
    payment = Payment(
        invoice_id=inv.id,
        amount=round_money(amount),
        paid_on=paid_on,
        recorded_by=actor.token_name,
        created_at=now,
    )
    session.add(payment)
    inv.paid_amount = round_money(inv.paid_amount + amount)
    if inv.paid_amount == inv.amount:
        earlier = session.exec(
            select(col(Payment.paid_on)).where(Payment.invoice_id == inv.id)
        ).all()
        inv.paid_on = max([paid_on, *earlier])
    inv.version += 1
    inv.updated_at = now
    session.add(inv)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="pay",
        entity_type=INVOICE,
        entity_id=str(inv.id),
        round_id=inv.round_id,
        before=before,
        after={
            **snapshot(inv, exclude=("created_at", "updated_at")),
            "payment": snapshot(payment, exclude=("created_at",)),
        },
    )
    return invoice_public(inv, today, _payments(session, [inv.id])[inv.id])
