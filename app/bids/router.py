"""Sealed bids. Enterprises submit, amend and withdraw their own bids while bidding is open;
who may read what depends on whether the bids have been opened (SPEC §5)."""

from typing import Annotated

from fastapi import Depends, Query, Response, status

from app.auth.deps import EnterprisePrincipal, require
from app.auth.models import Role
from app.auth.service import Principal
from app.bids import service
from app.bids.schemas import BidCreate, BidFields, BidListItem, BidVersion, Receipt
from app.clock import ClockDep
from app.common import Page, decode_cursor, encode_cursor, location, model_response
from app.concurrency import IfMatch, etag, set_etag
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}/bids", tags=["bids"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=Receipt,
    responses=problem_responses(404, 409),
)
def submit_bid(
    round_id: str,
    body: BidCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: EnterprisePrincipal,
) -> Response:
    """Submit the calling enterprise's sealed bid in a group; it replaces the enterprise's
    earlier bid there (every version is kept). Only while the round is bidding_open and the
    clock is inside the bidding window (409 otherwise: late bids are refused); an enterprise
    barred by its credit rating is refused (409 `credit-barred`).

    The receipt holds the SHA-256 commitment of the canonical bid and the nonce that went into
    it: keep both to check, once the bids are opened, that the bid was not altered."""
    row, ucp = service.submit(
        session,
        round_id=round_id,
        group_id=body.group,
        data=body,
        if_match=None,
        amend=False,
        actor=principal,
        now=clock.now(),
    )
    return model_response(
        service.to_receipt(row, ucp),
        status_code=status.HTTP_201_CREATED,
        headers={
            "ETag": etag(row.version),
            "Location": location(f"/api/v1/rounds/{round_id}/bids/{row.group_id}"),
        },
    )


@router.get("", response_model=Page[BidListItem], responses=problem_responses(404, 409))
def list_bids(
    round_id: str,
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(require(Role.bureau, Role.enterprise, Role.institution))
    ],
    group_id: str | None = None,
    all_versions: Annotated[
        bool, Query(description="every version, replaced ones too, not only the current")
    ] = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[BidListItem]:
    """The round's current bids. Before opening: an enterprise sees its own bids in full; the
    bureau sees only who bid in which group and when (`sealed: true`); institutions get 409.
    After opening: everyone sees every live bid with its price, unit comparable price,
    commitment, nonce and canonical text (recompute `sha256(canonical)` to verify).
    `all_versions=true` lists replaced versions too: the bureau's and the caller's own (after
    opening, everyone else sees the final bids only)."""
    items, last = service.list_bids(
        session,
        round_id=round_id,
        viewer=principal,
        group_id=group_id,
        all_versions=all_versions,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(items=items, next_cursor=encode_cursor(last))


@router.get("/{group_id}", response_model=BidVersion, responses=problem_responses(404))
def get_own_bid(
    round_id: str,
    group_id: str,
    response: Response,
    session: SessionDep,
    principal: EnterprisePrincipal,
) -> BidVersion:
    """The calling enterprise's bid in a group: its current version (live or withdrawn). The
    ETag names the version; send it as If-Match to amend or withdraw."""
    row = service.own_bid(session, round_id=round_id, group_id=group_id, actor=principal)
    set_etag(response, row.version)
    return service.to_version(row)


@router.get(
    "/{group_id}/versions", response_model=list[BidVersion], responses=problem_responses(404)
)
def list_own_versions(
    round_id: str, group_id: str, session: SessionDep, principal: EnterprisePrincipal
) -> list[BidVersion]:
    """Every version of the calling enterprise's bid in a group, oldest first."""
    rows = service.own_versions(session, round_id=round_id, group_id=group_id, actor=principal)
    return [service.to_version(r) for r in rows]


@router.put("/{group_id}", response_model=Receipt, responses=problem_responses(404, 409, 412))
def amend_bid(
    round_id: str,
    group_id: str,
    body: BidFields,
    session: SessionDep,
    clock: ClockDep,
    principal: EnterprisePrincipal,
    if_match: IfMatch = None,
) -> Response:
    """Amend the calling enterprise's live bid in a group before the deadline: a new version
    with a new commitment and nonce (412 if If-Match names an older version)."""
    row, ucp = service.submit(
        session,
        round_id=round_id,
        group_id=group_id,
        data=body,
        if_match=if_match,
        amend=True,
        actor=principal,
        now=clock.now(),
    )
    return model_response(service.to_receipt(row, ucp), headers={"ETag": etag(row.version)})


@router.delete("/{group_id}", response_model=BidVersion, responses=problem_responses(404, 409, 412))
def withdraw_bid(
    round_id: str,
    group_id: str,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: EnterprisePrincipal,
    if_match: IfMatch = None,
) -> BidVersion:
    """Withdraw the calling enterprise's live bid in a group before the deadline. The
    withdrawal is kept as a version of its own (status `withdrawn`); a later submission in the
    group starts a new live version."""
    row = service.withdraw(
        session,
        round_id=round_id,
        group_id=group_id,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    set_etag(response, row.version)
    return service.to_version(row)
