"""The catalog of a round. Reading: any role. Changing: the bureau, while the round is a draft.

Catalog edits are edits of the round: `If-Match` takes the round's ETag, and the response
carries the round's new ETag.
"""

from fastapi import Response, status

from app.auth.deps import AnyPrincipal, BureauPrincipal
from app.catalog import service
from app.catalog.schemas import GroupCreate, GroupPublic, GroupReplace
from app.clock import ClockDep
from app.concurrency import IfMatch, set_etag
from app.db import SessionDep
from app.errors import InvalidInput, problem_responses
from app.rounds.access import load_round
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}/groups", tags=["catalog"])


@router.get("", response_model=list[GroupPublic], responses=problem_responses(404))
def list_groups(
    round_id: str, response: Response, session: SessionDep, _principal: AnyPrincipal
) -> list[GroupPublic]:
    """The round's groups; the ETag is the round's (send it as If-Match to change one)."""
    round_ = load_round(session, round_id)
    set_etag(response, round_.version)
    return [service.to_public(g) for g in service.list_groups(session, round_id)]


@router.get("/{group_id}", response_model=GroupPublic, responses=problem_responses(404))
def get_group(
    round_id: str,
    group_id: str,
    response: Response,
    session: SessionDep,
    _principal: AnyPrincipal,
) -> GroupPublic:
    """One group; the ETag is the round's (send it as If-Match to replace or remove it)."""
    round_ = load_round(session, round_id)
    group = service.get_group(session, round_id, group_id)
    set_etag(response, round_.version)
    return service.to_public(group)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=GroupPublic,
    responses=problem_responses(404, 409, 412),
)
def add_group(
    round_id: str,
    body: GroupCreate,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> GroupPublic:
    """Add a group to a draft round. At most `max_groups_per_generic` groups per generic name
    (422 naming the generic name and its groups)."""
    round_, row = service.add_group(
        session, round_id=round_id, data=body, if_match=if_match, actor=principal, now=clock.now()
    )
    set_etag(response, round_.version)
    return service.to_public(row)


@router.put("/{group_id}", response_model=GroupPublic, responses=problem_responses(404, 409, 412))
def replace_group(
    round_id: str,
    group_id: str,
    body: GroupReplace,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> GroupPublic:
    """Replace a group of a draft round: its fields, or the group as GET gives it, edited."""
    if body.id is not None and body.id != group_id:
        raise InvalidInput(
            "invalid group", [("body.id", f"the group in the path is {group_id!r}: ids stay")]
        )
    round_, row = service.replace_group(
        session,
        round_id=round_id,
        group_id=group_id,
        data=body,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    set_etag(response, round_.version)
    return service.to_public(row)


@router.delete(
    "/{group_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412),
)
def remove_group(
    round_id: str,
    group_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> Response:
    """Remove a group from a draft round."""
    round_ = service.remove_group(
        session,
        round_id=round_id,
        group_id=group_id,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_etag(response, round_.version)
    return response
