"""CSV/XLSX exports of a round's agreement period, for the caller's own data."""

from typing import Annotated

from fastapi import Depends, Query, Response

from app.auth.deps import AnyPrincipal, require
from app.auth.models import Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import YearQuery, content_disposition
from app.db import SessionDep
from app.errors import problem_responses
from app.exports import service
from app.exports.service import MEDIA_TYPES, Dataset, Format, Lang
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}/exports", tags=["exports"])

BureauOrInstitution = Annotated[Principal, Depends(require(Role.bureau, Role.institution))]
FormatQuery = Annotated[Format, Query(alias="format", description="csv or xlsx")]
LangQuery = Annotated[Lang, Query(description="column headers: en (field names) or zh (中文表头)")]

_FILE = {
    200: {
        "description": "the table as CSV or XLSX",
        "content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}},
    },
    **problem_responses(404),
}


def _export(
    session: SessionDep,
    *,
    dataset: Dataset,
    round_id: str,
    year: int | None,
    fmt: Format,
    lang: Lang,
    viewer: Principal,
    clock: ClockDep,
) -> Response:
    table = service.build_table(
        session, dataset=dataset, round_id=round_id, year=year, viewer=viewer, now=clock.now()
    )
    body = service.render_csv(table, lang) if fmt == "csv" else service.render_xlsx(table, lang)
    return Response(
        content=body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": content_disposition(f"{table.name}.{fmt}")},
    )


@router.get("/contracts", response_class=Response, responses=_FILE)
def export_contracts(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    year: YearQuery = None,
    fmt: FormatQuery = "csv",
    lang: LangQuery = "en",
) -> Response:
    """The caller's contracts of the year."""
    return _export(
        session,
        dataset="contracts",
        round_id=round_id,
        year=year,
        fmt=fmt,
        lang=lang,
        viewer=principal,
        clock=clock,
    )


@router.get("/invoices", response_class=Response, responses=_FILE)
def export_invoices(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    year: YearQuery = None,
    fmt: FormatQuery = "csv",
    lang: LangQuery = "en",
) -> Response:
    """The caller's invoices of the round (an enterprise's: its receivables) with due dates
    and days overdue as of today."""
    return _export(
        session,
        dataset="invoices",
        round_id=round_id,
        year=year,
        fmt=fmt,
        lang=lang,
        viewer=principal,
        clock=clock,
    )


@router.get("/prepayment-ledger", response_class=Response, responses=_FILE)
def export_prepayment_ledger(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauOrInstitution,
    year: YearQuery = None,
    fmt: FormatQuery = "csv",
    lang: LangQuery = "en",
) -> Response:
    """The prepayment ledger: 12 months per institution, then the fund's 12 (institution
    `FUND`)."""
    return _export(
        session,
        dataset="prepayment-ledger",
        round_id=round_id,
        year=year,
        fmt=fmt,
        lang=lang,
        viewer=principal,
        clock=clock,
    )


@router.get("/fulfilment", response_class=Response, responses=_FILE)
def export_fulfilment(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    principal: AnyPrincipal,
    year: YearQuery = None,
    fmt: FormatQuery = "csv",
    lang: LangQuery = "en",
) -> Response:
    """Fulfilment per contract: purchased against agreed volume, beyond-agreed apart."""
    return _export(
        session,
        dataset="fulfilment",
        round_id=round_id,
        year=year,
        fmt=fmt,
        lang=lang,
        viewer=principal,
        clock=clock,
    )
