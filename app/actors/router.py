"""Institutions, enterprises and their tokens. The bureau registers actors and issues tokens;
an institution or enterprise may read its own registration."""

from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from app.actors import service
from app.actors.models import Enterprise, Institution
from app.actors.schemas import (
    EnterpriseCreate,
    EnterprisePublic,
    InstitutionCreate,
    InstitutionPublic,
    TokenCreate,
    TokenIssued,
)
from app.auth.deps import BureauPrincipal, require
from app.auth.models import ApiToken, Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import Page, RowId
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import X_IDEMPOTENCY_REDACT, make_router

router = make_router(prefix="/api/v1", tags=["actors"])


def _token_route() -> dict[str, Any]:
    return {
        "status_code": status.HTTP_201_CREATED,
        "response_model": TokenIssued,
        "responses": problem_responses(404),
        # a replay must not hand the token out a second time
        "openapi_extra": {X_IDEMPOTENCY_REDACT: ["token"]},
    }


def _issued(row: ApiToken, plain: str) -> TokenIssued:
    assert row.id is not None
    return TokenIssued(
        id=row.id,
        role=row.role,
        actor_id=row.institution_id or row.enterprise_id,
        name=row.name,
        created_at=row.created_at,
        token=plain,
    )


@router.post(
    "/institutions",
    status_code=status.HTTP_201_CREATED,
    response_model=InstitutionPublic,
    responses=problem_responses(409),
)
def register_institution(
    body: InstitutionCreate, session: SessionDep, clock: ClockDep, principal: BureauPrincipal
) -> Institution:
    """Register a medical institution (医疗机构) with its region."""
    return service.register_institution(session, data=body, actor=principal, now=clock.now())


@router.get("/institutions", response_model=Page[InstitutionPublic])
def list_institutions(
    session: SessionDep,
    _principal: BureauPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[InstitutionPublic]:
    rows, last = service.list_institutions(session, after_id=cursor, limit=limit)
    return Page(items=[InstitutionPublic.model_validate(r) for r in rows], next_cursor=last)


@router.get(
    "/institutions/{institution_id}",
    response_model=InstitutionPublic,
    responses=problem_responses(404),
)
def get_institution(
    institution_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Role.bureau, Role.institution))],
) -> Institution:
    """The bureau reads any institution; an institution reads only itself."""
    return service.get_institution(session, institution_id, viewer=principal)


@router.post("/institutions/{institution_id}/tokens", **_token_route())
def issue_institution_token(
    institution_id: str,
    body: TokenCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> TokenIssued:
    """Issue a bearer token for an institution. The token is in this response only."""
    row, plain = service.issue_actor_token(
        session,
        role=Role.institution,
        actor_id=institution_id,
        name=body.name,
        actor=principal,
        now=clock.now(),
    )
    return _issued(row, plain)


@router.post(
    "/enterprises",
    status_code=status.HTTP_201_CREATED,
    response_model=EnterprisePublic,
    responses=problem_responses(409),
)
def register_enterprise(
    body: EnterpriseCreate, session: SessionDep, clock: ClockDep, principal: BureauPrincipal
) -> Enterprise:
    """Register an enterprise (上市许可持有人) with its credit level."""
    return service.register_enterprise(session, data=body, actor=principal, now=clock.now())


@router.get("/enterprises", response_model=Page[EnterprisePublic])
def list_enterprises(
    session: SessionDep,
    _principal: BureauPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[EnterprisePublic]:
    rows, last = service.list_enterprises(session, after_id=cursor, limit=limit)
    return Page(items=[EnterprisePublic.model_validate(r) for r in rows], next_cursor=last)


@router.get(
    "/enterprises/{enterprise_id}",
    response_model=EnterprisePublic,
    responses=problem_responses(404),
)
def get_enterprise(
    enterprise_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Role.bureau, Role.enterprise))],
) -> Enterprise:
    """The bureau reads any enterprise; an enterprise reads only itself."""
    return service.get_enterprise(session, enterprise_id, viewer=principal)


@router.post("/enterprises/{enterprise_id}/tokens", **_token_route())
def issue_enterprise_token(
    enterprise_id: str,
    body: TokenCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> TokenIssued:
    """Issue a bearer token for an enterprise. The token is in this response only."""
    row, plain = service.issue_actor_token(
        session,
        role=Role.enterprise,
        actor_id=enterprise_id,
        name=body.name,
        actor=principal,
        now=clock.now(),
    )
    return _issued(row, plain)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def revoke_token(
    token_id: RowId, session: SessionDep, clock: ClockDep, principal: BureauPrincipal
) -> Response:
    """Revoke a token (any role's); it stops working at once."""
    service.revoke_token(session, token_id, actor=principal, now=clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
