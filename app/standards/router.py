"""Payment standards (医保支付标准): public, as the bureau publishes them (no token needed)."""

from typing import Annotated

from fastapi import Depends, Query

from app.auth.deps import public
from app.common import Page, decode_cursor, encode_cursor
from app.db import SessionDep
from app.routing import make_router
from app.standards import service
from app.standards.models import PaymentStandard
from app.standards.schemas import PaymentStandardPublic

router = make_router(prefix="/api/v1", tags=["payment standards"])


def to_public(row: PaymentStandard) -> PaymentStandardPublic:
    return PaymentStandardPublic.model_validate({**row.model_dump(), "non_gqce_cap": row.standard})


@router.get(
    "/payment-standards",
    response_model=Page[PaymentStandardPublic],
    dependencies=[Depends(public)],
)
def list_payment_standards(
    session: SessionDep,
    generic_name: Annotated[str | None, Query(examples=["amlodipine"])] = None,
    round_id: str | None = None,
    group_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[PaymentStandardPublic]:
    """Payment standards per generic name and group, set when a round's results are
    published: one standard for originator, reference and GQCE products of the generic name;
    non-GQCE products are paid at most that (SPEC §9). Public: anyone may read them, with or
    without a token."""
    rows, last = service.list_standards(
        session,
        generic_name=generic_name,
        round_id=round_id,
        group_id=group_id,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(items=[to_public(r) for r in rows], next_cursor=encode_cursor(last))
