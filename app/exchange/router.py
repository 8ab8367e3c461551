"""Round documents in and out: import a document as a stored round, export a stored round."""

from typing import Annotated, Any, Literal

import yaml
from fastapi import Depends, Request, Response, status

from app.auth.deps import BureauPrincipal
from app.clock import ClockDep
from app.common import location
from app.db import SessionDep
from app.errors import problem_responses
from app.exchange import service
from app.exchange.documents import decode_body, parse_document
from app.exchange.schemas import ImportResult, document_body
from app.idempotency.service import request_body
from app.rounds.access import load_round
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["exchange"])


@router.post(
    "/rounds:import",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportResult,
    responses=problem_responses(409, 415),
    openapi_extra=document_body("a round document (ROUND_DOCUMENT.md), JSON or YAML"),
)
def import_round(
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    body: Annotated[bytes, Depends(request_body)],
) -> ImportResult:
    """Store a round document as a round. The document is validated as `vbp simulate`
    validates it (422 with `errors[].field` such as `bids[3].pack_price`). Institutions and
    enterprises are registered when missing and matched when present (a different region or
    credit level is a 422). A demand line's `accepted_below_floor` becomes an accepted review
    and its `reviewed` (an extension of the format: the report as the bureau reviewed it) an
    adjustment, or a rejection when it is 0 and not accepted; a `reviewed` volume below the
    floor must be accepted (422 otherwise). The round ends in `bids_opened` when the document
    has bids, `demand_locked` when it has demands only, `draft` otherwise."""
    parsed = parse_document(decode_body(body, request.headers.get("content-type")))
    result = service.import_document(session, parsed=parsed, actor=principal, now=clock.now())
    response.headers["Location"] = location(f"/api/v1/rounds/{result.round.id}")
    return result


@router.get(
    "/rounds/{round_id}/document",
    responses={
        **problem_responses(404),
        200: {
            "description": "the round as a round document",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        },
    },
)
def export_round(
    round_id: str,
    session: SessionDep,
    _principal: BureauPrincipal,
    format: Literal["json", "yaml"] = "json",
) -> Response:
    """The stored round as a round document, for `vbp simulate` or another service. Bids are
    included only once they are opened; before that `bids` is empty (sealed bids, SPEC §5).
    A demand line holds the institution's own `reported` figure; where the bureau adjusted or
    rejected it, `reviewed` (an extension of ROUND_DOCUMENT.md) holds the reviewed report the
    base volume follows from (0 for a rejection: the floor)."""
    data: dict[str, Any] = service.export_document(session, load_round(session, round_id))
    if format == "yaml":
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        return Response(text, media_type="application/yaml")
    import json

    return Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", media_type="application/json"
    )
