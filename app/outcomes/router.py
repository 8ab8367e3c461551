"""GET …/outcome: the award as each actor may see it (app.outcomes.service)."""

from typing import Annotated

from fastapi import Depends, Response

from app.auth.deps import require
from app.auth.models import Role
from app.auth.service import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.outcomes import service
from app.outcomes.schemas import EnterpriseOutcome, InstitutionOutcome, WholeOutcome
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}", tags=["outcomes"])


@router.get(
    "/outcome",
    response_model=InstitutionOutcome | EnterpriseOutcome | WholeOutcome,
    responses={
        **problem_responses(404, 409),
        200: {
            "description": "bureau: the whole outcome (WholeOutcome: ROUND_DOCUMENT.md, as "
            "`vbp simulate` prints it); institution: InstitutionOutcome; enterprise: "
            "EnterpriseOutcome"
        },
    },
)
def get_outcome(
    round_id: str,
    session: SessionDep,
    principal: Annotated[
        Principal, Depends(require(Role.bureau, Role.institution, Role.enterprise))
    ],
) -> Response | InstitutionOutcome | EnterpriseOutcome:
    """The award of a round. The bureau reads the whole outcome once the round is awarded
    (also before publishing). Institutions and enterprises read their view once the results
    are published (409 before): the public results of every group plus only their own rows."""
    view = service.outcome_for(session, round_id, principal)
    if isinstance(view, str):
        return Response(view, media_type="application/json")
    return view
