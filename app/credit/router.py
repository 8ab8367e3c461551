"""Credit ratings: the bureau rates enterprises; an enterprise reads its own history."""

from typing import Annotated

from fastapi import Depends, Query, status

from app.actors.models import CreditLevel
from app.auth.deps import BureauPrincipal, require
from app.auth.models import Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import Page, decode_cursor, encode_cursor
from app.credit import service
from app.credit.schemas import CreditHistory, RatingCreate, RatingPublic
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["credit"])


@router.post(
    "/enterprises/{enterprise_id}/credit-ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingPublic,
    responses=problem_responses(404),
)
def rate_enterprise(
    enterprise_id: str,
    body: RatingCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> RatingPublic:
    """Rate an enterprise (医药价格和招采信用评价) with a reason and evidence. Serious and
    particularly serious ratings bar its bids in rounds that open for bidding during the bar
    (bar_months: 9 and 24 by default)."""
    row = service.rate_enterprise(
        session, enterprise_id=enterprise_id, data=body, actor=principal, now=clock.now()
    )
    return RatingPublic.model_validate(row)


@router.get(
    "/enterprises/{enterprise_id}/credit-ratings",
    response_model=CreditHistory,
    responses=problem_responses(404),
)
def credit_history(
    enterprise_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(Role.bureau, Role.enterprise))],
) -> CreditHistory:
    """The whole rating history, newest first, and whether a bar is in force today."""
    return service.credit_history(
        session, enterprise_id=enterprise_id, viewer=principal, now=clock.now()
    )


@router.get("/credit-ratings", response_model=Page[RatingPublic])
def list_ratings(
    session: SessionDep,
    _principal: BureauPrincipal,
    level: CreditLevel | None = None,
    enterprise_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[RatingPublic]:
    """Every rating, in the order recorded."""
    rows, last = service.list_ratings(
        session,
        level=level,
        enterprise_id=enterprise_id,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(
        items=[RatingPublic.model_validate(r) for r in rows], next_cursor=encode_cursor(last)
    )
