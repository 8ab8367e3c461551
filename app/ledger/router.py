"""The prepayment ledger, fulfilment and surplus retention of a round (SPEC §9)."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import AnyPrincipal, BureauPrincipal, require
from app.auth.models import Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import YearQuery
from app.db import SessionDep
from app.errors import problem_responses
from app.ledger import service
from app.ledger.schemas import FulfilmentPublic, LedgerPublic, SurplusPublic, SurplusRequest
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}", tags=["ledger"])

BureauOrInstitution = Annotated[Principal, Depends(require(Role.bureau, Role.institution))]


@router.get("/prepayment-ledger", response_model=LedgerPublic, responses=problem_responses(404))
def prepayment_ledger(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrInstitution,
    year: YearQuery = None,
    institution_id: str | None = None,
) -> LedgerPublic:
    """The fund's prepayment ledger (医保基金预付台账): per institution the disbursement at the
    start of the agreement year and the monthly offsets against accepted purchases, and the
    fund's totals. Every month: opening + disbursed − offset = closing. The bureau sees every
    institution (or one, with `institution_id`); an institution sees its own (another
    institution's id finds nothing)."""
    return service.prepayment_ledger(
        session,
        round_id=round_id,
        year=year,
        viewer=principal,
        institution_id=institution_id,
        now=clock.now(),
    )


@router.get("/fulfilment", response_model=FulfilmentPublic, responses=problem_responses(404))
def fulfilment(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    year: YearQuery = None,
    by: service.FulfilmentBy = "contract",
) -> FulfilmentPublic:
    """Purchased against agreed volume of the caller's contracts, per contract, institution,
    group, region or enterprise: percent complete, a linear projection to year end, and the
    purchases beyond the agreed volume apart."""
    return service.fulfilment(
        session, round_id=round_id, year=year, by=by, viewer=principal, now=clock.now()
    )


@router.post(
    "/surplus-retention",
    response_model=SurplusPublic,
    responses=problem_responses(404, 409),
)
def compute_surplus_retention(
    round_id: str,
    body: SurplusRequest,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> SurplusPublic:
    """Compute the surplus retention (结余留用) of an agreement year that has ended, per
    institution and group, from the bureau's grades (A–D) and the insurer payment ratio and
    insured share (0 … 1). An institution that did not complete its agreed volume gets D.
    Computing again replaces the earlier figures."""
    return service.compute_surplus_retention(
        session, round_id=round_id, data=body, actor=principal, now=clock.now()
    )


@router.get("/surplus-retention", response_model=SurplusPublic, responses=problem_responses(404))
def list_surplus_retention(
    round_id: str,
    session: SessionDep,
    principal: BureauOrInstitution,
    year: YearQuery = None,
) -> SurplusPublic:
    return service.list_surplus_retention(session, round_id=round_id, year=year, viewer=principal)
