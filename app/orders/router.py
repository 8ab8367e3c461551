"""Orders, deliveries, acceptance, invoices, payments and supply failures (SPEC §9)."""

from typing import Annotated, Literal

from fastapi import Depends, Query, Response, status

from app.auth.deps import (
    AnyPrincipal,
    EnterprisePrincipal,
    InstitutionPrincipal,
    require,
)
from app.auth.models import Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import Page, RowId, decode_cursor, encode_cursor, location
from app.concurrency import IfMatch, set_etag
from app.contracts.periods import local_date
from app.db import SessionDep
from app.errors import problem_responses
from app.orders import service
from app.orders.models import Order, OrderStatus
from app.orders.schemas import (
    AcceptanceCreate,
    DeliveryCreate,
    FailureCheck,
    InvoicePage,
    InvoicePublic,
    OrderCreate,
    OrderPublic,
    PaymentCreate,
    RejectionCreate,
    SupplyFailurePublic,
    SupplyRecord,
)
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["orders and settlement"])

BureauOrInstitution = Annotated[Principal, Depends(require(Role.bureau, Role.institution))]
BureauOrEnterprise = Annotated[Principal, Depends(require(Role.bureau, Role.enterprise))]
InvoiceStatus = Literal["open", "paid"]


def _order(session: SessionDep, response: Response, o: Order, clock: ClockDep) -> OrderPublic:
    set_etag(response, o.version)
    return service.order_public(session, o, local_date(clock.now()))


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderPublic,
    responses=problem_responses(404, 409),
)
def place_order(
    body: OrderCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: InstitutionPrincipal,
) -> OrderPublic:
    """Order against one of the caller's contracts, today (the round must be in_agreement and
    today inside the contract's agreement year: 409 `outside-term`). Orders beyond the agreed
    volume are allowed (SPEC §7) and shown apart in the fulfilment."""
    o = service.place_order(session, data=body, actor=principal, now=clock.now())
    response.headers["Location"] = location(f"/api/v1/orders/{o.id}")
    return _order(session, response, o, clock)


@router.get("/orders", response_model=Page[OrderPublic])
def list_orders(
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    round_id: str | None = None,
    contract_id: RowId | None = None,
    status: OrderStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[OrderPublic]:
    """The bureau's all; an institution's own; an enterprise's as winner or backup supplier."""
    rows, last = service.list_orders(
        session,
        viewer=principal,
        round_id=round_id,
        contract_id=contract_id,
        status=status,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    today = local_date(clock.now())
    invoices = service.invoice_ids(session, rows)
    return Page(
        items=[service.order_public(session, o, today, invoices) for o in rows],
        next_cursor=encode_cursor(last),
    )


@router.get("/orders/{order_id}", response_model=OrderPublic, responses=problem_responses(404))
def get_order(
    order_id: RowId,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
) -> OrderPublic:
    return _order(session, response, service.get_order(session, order_id, viewer=principal), clock)


@router.post(
    "/orders/{order_id}/delivery",
    response_model=OrderPublic,
    responses=problem_responses(404, 409, 412),
)
def deliver(
    order_id: RowId,
    body: DeliveryCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: EnterprisePrincipal,
    if_match: IfMatch = None,
) -> OrderPublic:
    """The supplier reports the delivery (it bears the delivery cost). Only the order's
    supplier may (another enterprise's order is not found). A delivery after the deadline is
    recorded as a supply failure."""
    o = service.deliver(
        session, order_id=order_id, data=body, if_match=if_match, actor=principal, now=clock.now()
    )
    return _order(session, response, o, clock)


@router.post(
    "/orders/{order_id}/acceptance",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoicePublic,
    responses=problem_responses(404, 409, 412),
)
def accept(
    order_id: RowId,
    body: AcceptanceCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: InstitutionPrincipal,
    if_match: IfMatch = None,
) -> InvoicePublic:
    """Accept the delivery (验收) on a date (not before the delivery or the agreement start,
    not after today). Returns the invoice, due on the last day of the following month.
    Accepting twice is 409 `order-state`."""
    invoice = service.accept(
        session, order_id=order_id, data=body, if_match=if_match, actor=principal, now=clock.now()
    )
    response.headers["Location"] = location(f"/api/v1/invoices/{invoice.id}")
    set_etag(response, invoice.version)
    return service.invoice_public(invoice, local_date(clock.now()))


@router.post(
    "/orders/{order_id}/rejection",
    response_model=OrderPublic,
    responses=problem_responses(404, 409, 412),
)
def reject(
    order_id: RowId,
    body: RejectionCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: InstitutionPrincipal,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Reject the delivery, with a reason. The order is closed; order again if needed."""
    o = service.reject(
        session, order_id=order_id, data=body, if_match=if_match, actor=principal, now=clock.now()
    )
    return _order(session, response, o, clock)


@router.post(
    "/orders/{order_id}/backup",
    response_model=OrderPublic,
    responses=problem_responses(404, 409, 412),
)
def activate_backup(
    order_id: RowId,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrInstitution,
    if_match: IfMatch = None,
) -> OrderPublic:
    """Hand an order the winner failed to deliver in time to the region's backup supplier
    (备供), at the backup's own winning price. 409 while the winner is still within its
    deadline, or when the region has no backup supplier."""
    o = service.activate_backup(
        session, order_id=order_id, if_match=if_match, actor=principal, now=clock.now()
    )
    return _order(session, response, o, clock)


@router.post("/supply-failures:check", response_model=FailureCheck)
def check_failures(
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrInstitution,
    round_id: str | None = None,
) -> FailureCheck:
    """Record a supply failure for every open order past its delivery deadline (the bureau:
    all orders; an institution: its own). Returns the failures recorded by this check."""
    now = clock.now()
    recorded = service.detect_failures(session, viewer=principal, now=now, round_id=round_id)
    return FailureCheck(
        as_of=local_date(now),
        recorded=[SupplyFailurePublic.model_validate(f) for f in recorded],
    )


@router.get("/supply-failures", response_model=Page[SupplyFailurePublic])
def list_failures(
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    round_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[SupplyFailurePublic]:
    """Recorded supply failures (recording any new ones first): the bureau's all, an
    institution's orders, an enterprise's as winner or as the activated backup."""
    service.detect_failures(session, viewer=principal, now=clock.now(), round_id=round_id)
    rows, last = service.list_failures(
        session, viewer=principal, round_id=round_id, after_id=decode_cursor(cursor), limit=limit
    )
    return Page(
        items=[SupplyFailurePublic.model_validate(f) for f in rows],
        next_cursor=encode_cursor(last),
    )


@router.get(
    "/enterprises/{enterprise_id}/supply-record",
    response_model=SupplyRecord,
    responses=problem_responses(404),
)
def supply_record(
    enterprise_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrEnterprise,
    round_id: str | None = None,
) -> SupplyRecord:
    """An enterprise's supply record as a winner: orders, on time, late, failed."""
    return service.supply_record(
        session, enterprise_id=enterprise_id, round_id=round_id, viewer=principal, now=clock.now()
    )


@router.get("/invoices", response_model=InvoicePage)
def list_invoices(
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    round_id: str | None = None,
    status: InvoiceStatus | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> InvoicePage:
    """Invoices with due dates and days overdue as of today: the bureau's all, an
    institution's own, an enterprise's receivables. `overdue=true` lists only the overdue."""
    return service.list_invoices(
        session,
        viewer=principal,
        now=clock.now(),
        round_id=round_id,
        status=status,
        overdue=overdue,
        after_id=decode_cursor(cursor),
        limit=limit,
    )


@router.get(
    "/invoices/{invoice_id}", response_model=InvoicePublic, responses=problem_responses(404)
)
def get_invoice(
    invoice_id: RowId,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
) -> InvoicePublic:
    invoice = service.get_invoice(session, invoice_id, viewer=principal, now=clock.now())
    set_etag(response, invoice.version)
    return invoice


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoicePublic,
    responses=problem_responses(404, 412),
)
def record_payment(
    invoice_id: RowId,
    body: PaymentCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: InstitutionPrincipal,
    if_match: IfMatch = None,
) -> InvoicePublic:
    """Record a payment (回款) of the invoice; all payments together never exceed it (422 on
    `body.amount`). Returns the invoice as it now stands."""
    invoice = service.record_payment(
        session,
        invoice_id=invoice_id,
        data=body,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    set_etag(response, invoice.version)
    return invoice


@router.get(
    "/institutions/{institution_id}/invoices",
    response_model=InvoicePage,
    responses=problem_responses(404),
)
def institution_invoices(
    institution_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrInstitution,
    round_id: str | None = None,
    status: InvoiceStatus | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> InvoicePage:
    """An institution's invoices to settle, with due dates and days overdue."""
    return service.actor_invoices(
        session,
        role=Role.institution,
        actor_id=institution_id,
        viewer=principal,
        now=clock.now(),
        round_id=round_id,
        status=status,
        overdue=overdue,
        after_id=decode_cursor(cursor),
        limit=limit,
    )


@router.get(
    "/enterprises/{enterprise_id}/receivables",
    response_model=InvoicePage,
    responses=problem_responses(404),
)
def enterprise_receivables(
    enterprise_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrEnterprise,
    round_id: str | None = None,
    status: InvoiceStatus | None = None,
    overdue: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> InvoicePage:
    """An enterprise's receivables (应收货款): invoices payable to it, with days overdue."""
    return service.actor_invoices(
        session,
        role=Role.enterprise,
        actor_id=enterprise_id,
        viewer=principal,
        now=clock.now(),
        round_id=round_id,
        status=status,
        overdue=overdue,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
