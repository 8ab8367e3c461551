"""Rounds: the bureau defines and steers them; every role reads them."""

from typing import Annotated

from fastapi import Query, Response, status

from app.auth.deps import AnyPrincipal, BureauPrincipal
from app.clock import ClockDep
from app.common import Page, location
from app.concurrency import IfMatch, IfNoneMatch, not_modified, set_etag
from app.db import SessionDep
from app.errors import problem_responses
from app.rounds import service
from app.rounds.access import load_round
from app.rounds.lifecycle import RoundState
from app.rounds.schemas import (
    RoundCreate,
    RoundPublic,
    RoundSummary,
    RoundUpdate,
    TransitionRequest,
)
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds", tags=["rounds"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RoundPublic,
    responses=problem_responses(409),
)
def create_round(
    body: RoundCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> RoundPublic:
    """Define a round: rules (a profile plus overrides, validated; errors name
    `body.rules.overrides.<field>`), windows and, optionally, its catalog inline."""
    r = service.create_round(session, data=body, actor=principal, now=clock.now())
    set_etag(response, r.version)
    response.headers["Location"] = location(f"/api/v1/rounds/{r.id}")
    return service.to_public(session, r)


@router.get("", response_model=Page[RoundSummary])
def list_rounds(
    session: SessionDep,
    _principal: AnyPrincipal,
    state: RoundState | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[RoundSummary]:
    rows, last = service.list_rounds(session, state=state, after_id=cursor, limit=limit)
    return Page(
        items=[RoundSummary.model_validate(r, from_attributes=True) for r in rows], next_cursor=last
    )


@router.get(
    "/{round_id}",
    response_model=RoundPublic,
    responses={**problem_responses(404), 304: {"description": "If-None-Match is current"}},
)
def get_round(
    round_id: str,
    response: Response,
    session: SessionDep,
    _principal: AnyPrincipal,
    if_none_match: IfNoneMatch = None,
) -> RoundPublic | Response:
    """The round with its catalog. The ETag changes with every change to either."""
    r = load_round(session, round_id)
    if not_modified(if_none_match, r.version):
        not_changed = Response(status_code=status.HTTP_304_NOT_MODIFIED)
        set_etag(not_changed, r.version)
        return not_changed
    set_etag(response, r.version)
    return service.to_public(session, r)


@router.patch("/{round_id}", response_model=RoundPublic, responses=problem_responses(404, 409, 412))
def update_round(
    round_id: str,
    body: RoundUpdate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> RoundPublic:
    """Change the name, rules, agreement start or windows (e.g. extend the demand window)."""
    r = service.update_round(
        session, round_id=round_id, data=body, if_match=if_match, actor=principal, now=clock.now()
    )
    set_etag(response, r.version)
    return service.to_public(session, r)


@router.post(
    "/{round_id}/transitions",
    response_model=RoundPublic,
    responses=problem_responses(404, 409, 412),
)
def transition_round(
    round_id: str,
    body: TransitionRequest,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> RoundPublic:
    """Move the round to another state. Only moves of the transition table are legal
    (draft → demand_open → demand_locked → bidding_open → bids_opened → awarded → published →
    in_agreement → closed; cancelled from any state before published); an illegal move is a
    409 naming both states (`from_state`, `to_state`). Locking demand (→ demand_locked)
    computes the base volumes and needs the demand window to have closed."""
    r = service.transition(
        session,
        round_id=round_id,
        to=body.to,
        reason=body.reason,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    set_etag(response, r.version)
    return service.to_public(session, r)
