"""GET /api/v1/audit: the bureau reads the trail, filtered by round and entity."""

from typing import Annotated

from fastapi import Query

from app.audit import service
from app.audit.schemas import AuditEventPublic
from app.auth.deps import BureauPrincipal
from app.common import Page, decode_cursor, encode_cursor
from app.db import SessionDep
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=Page[AuditEventPublic])
def read_audit(
    session: SessionDep,
    _principal: BureauPrincipal,
    round_id: str | None = None,
    entity_type: Annotated[str | None, Query(examples=["demand_report"])] = None,
    entity_id: Annotated[
        str | None,
        Query(
            examples=["YN-2027-01/H001/AML-ORAL"],
            description="exactly as the events give it, e.g. a round: `YN-2027-01`; a "
            "group: round/group; a demand report: round/institution/group; a bid: "
            "round/enterprise/group; a contract: round/year/institution/group/enterprise",
        ),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[AuditEventPublic]:
    """The audit trail in the order things happened, oldest first."""
    rows, last = service.list_events(
        session,
        round_id=round_id,
        entity_type=entity_type,
        entity_id=entity_id,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(
        items=[AuditEventPublic.model_validate(r) for r in rows], next_cursor=encode_cursor(last)
    )
