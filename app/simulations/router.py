"""POST /api/v1/simulations: the bureau's what-if runs (SPEC §11)."""

from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from app.auth.deps import BureauPrincipal
from app.errors import problem_responses
from app.exchange.documents import decode_body
from app.exchange.schemas import document_body
from app.idempotency.service import request_body
from app.routing import make_router
from app.simulations import service

router = make_router(prefix="/api/v1", tags=["simulations"])


@router.post(
    "/simulations",
    responses={
        **problem_responses(415, 503),
        200: {
            "description": "the outcome (ROUND_DOCUMENT.md), byte for byte what "
            "`vbp simulate` prints for the same document and options",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    openapi_extra=document_body("a round document (ROUND_DOCUMENT.md), JSON or YAML"),
)
def simulate_round(
    request: Request,
    _principal: BureauPrincipal,
    body: Annotated[bytes, Depends(request_body)],
    profile: Annotated[
        str | None, Query(description="rule profile replacing the document's (batch7, …)")
    ] = None,
    allocation: service.Allocation = "rule",
    solver: service.SolverName = "cbc",
    time_limit: Annotated[float, Query(gt=0, le=3600, description="seconds per model")] = 60.0,
    max_share: Annotated[
        Decimal | None,
        Query(gt=0, le=1, description="with allocation=min_cost: a winner's largest share"),
    ] = None,
) -> Response:
    """Evaluate a round document and return its full outcome without touching any stored
    round. Invalid documents are a 422 whose `errors` name each path
    (`bids[3].pack_price`). A plain `def`: a large document runs in the thread pool and never
    blocks the event loop."""
    text = service.run_simulation(
        decode_body(body, request.headers.get("content-type")),
        profile=profile,
        allocation=allocation,
        solver=solver,
        time_limit=time_limit,
        max_share=max_share,
    )
    return Response(text, media_type="application/json")
