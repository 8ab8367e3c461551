"""Contracts: every role reads its own; the bureau starts a new agreement year."""

from typing import Annotated

from fastapi import Query, status

from app.auth.deps import AnyPrincipal, BureauPrincipal
from app.clock import ClockDep
from app.common import MAX_INT, Page, RowId, decode_cursor, encode_cursor
from app.contracts import service
from app.contracts.access import get_contract, list_contracts
from app.contracts.schemas import AgreementYearCreate, AgreementYearPublic, ContractPublic
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["contracts"])


@router.get("/contracts", response_model=Page[ContractPublic])
def list_contracts_route(
    session: SessionDep,
    principal: AnyPrincipal,
    round_id: str | None = None,
    year: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    institution_id: str | None = None,
    enterprise_id: str | None = None,
    group_id: str | None = None,
    region: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ContractPublic]:
    """Contracts (购销协议): the bureau sees all, an institution those it buys under, an
    enterprise those it won."""
    rows, last = list_contracts(
        session,
        viewer=principal,
        round_id=round_id,
        year=year,
        institution_id=institution_id,
        enterprise_id=enterprise_id,
        group_id=group_id,
        region=region,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(
        items=[ContractPublic.model_validate(r) for r in rows], next_cursor=encode_cursor(last)
    )


@router.get(
    "/contracts/{contract_id}", response_model=ContractPublic, responses=problem_responses(404)
)
def get_contract_route(
    contract_id: RowId, session: SessionDep, principal: AnyPrincipal
) -> ContractPublic:
    return ContractPublic.model_validate(get_contract(session, contract_id, viewer=principal))


@router.post(
    "/rounds/{round_id}/agreement-years",
    status_code=status.HTTP_201_CREATED,
    response_model=AgreementYearPublic,
    responses=problem_responses(404, 409),
)
def start_agreement_year(
    round_id: str,
    body: AgreementYearCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> AgreementYearPublic:
    """Start the next agreement year (续签) once it has begun: every contract whose term covers
    it is renewed with agreed volume = max(last year's agreed volume, last year's accepted
    purchases), and the year's prepayments are disbursed."""
    return service.start_agreement_year(
        session, round_id=round_id, year=body.year, actor=principal, now=clock.now()
    )
