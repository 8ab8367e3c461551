"""Demand: institutions report (one group, or in bulk); the bureau lists and reviews."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.auth.deps import BureauPrincipal, InstitutionPrincipal, require
from app.auth.models import Role
from app.auth.service import Principal
from app.clock import ClockDep
from app.common import Page, decode_cursor, encode_cursor, media_type
from app.concurrency import IfMatch, set_etag
from app.db import SessionDep
from app.demand import bulk, service
from app.demand.models import DemandReport, ReviewStatus
from app.demand.schemas import (
    BulkResult,
    DemandFields,
    DemandLine,
    DemandReportPublic,
    ReviewRequest,
)
from app.errors import FieldError, UnsupportedMediaType, problem_responses
from app.routing import make_router

router = make_router(prefix="/api/v1/rounds/{round_id}", tags=["demand"])


def _public(row: DemandReport) -> DemandReportPublic:
    return DemandReportPublic.model_validate(row)


@router.put(
    "/demands/{group_id}",
    response_model=DemandReportPublic,
    responses={
        **problem_responses(404, 409, 412),
        201: {"description": "the first report for this group", "model": DemandReportPublic},
    },
)
def report_demand(
    round_id: str,
    group_id: str,
    body: DemandFields,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: InstitutionPrincipal,
    if_match: IfMatch = None,
) -> DemandReportPublic:
    """The calling institution's report for one group (201 the first time, then 200).
    Only while the round is demand_open and inside the demand window (else 409). Flagged when
    reported < demand_floor_ratio × last_year_usage (SPEC §3)."""
    row, created = service.report_demand(
        session,
        round_id=round_id,
        group_id=group_id,
        data=body,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    set_etag(response, row.version)
    return _public(row)


@router.get(
    "/demands/{group_id}", response_model=DemandReportPublic, responses=problem_responses(404)
)
def get_own_report(
    round_id: str,
    group_id: str,
    response: Response,
    session: SessionDep,
    principal: InstitutionPrincipal,
) -> DemandReportPublic:
    """The calling institution's report for one group."""
    assert principal.actor_id is not None
    row = service.get_report(
        session,
        round_id=round_id,
        institution_id=principal.actor_id,
        group_id=group_id,
        viewer=principal,
    )
    set_etag(response, row.version)
    return _public(row)


@dataclass(frozen=True)
class Upload:
    rows: list[tuple[int, dict[str, Any]]]
    errors: list[FieldError]
    text: bool


async def read_upload(request: Request) -> Upload:
    """A JSON array, a CSV body (text/csv), or a multipart form with a `file` field."""
    content_type = media_type(request.headers.get("content-type"))
    if content_type == "multipart/form-data":
        form = await request.form()
        part = form.get("file")
        if not isinstance(part, UploadFile):
            return Upload(
                [], [FieldError(field="body.file", message="attach the upload as `file`")], True
            )
        data = await part.read()
        name = (part.filename or "").lower()
        part_type = (part.content_type or "").lower()
        is_json = name.endswith(".json") or part_type.endswith("json")
    elif content_type in ("application/json", "text/csv", "application/csv"):
        data = await request.body()
        is_json = content_type == "application/json"
    else:
        raise UnsupportedMediaType(
            f"send application/json, text/csv or multipart/form-data, not {content_type or 'nothing'}"
        )
    if is_json:
        rows, errors = await run_in_threadpool(bulk.parse_json, data)
        return Upload(rows, errors, text=False)
    rows, errors = await run_in_threadpool(bulk.parse_csv, data)
    return Upload(rows, errors, text=True)


_BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": DemandLine.model_json_schema()},
                "example": [
                    {"group": "AML-ORAL", "reported": 120000, "last_year_usage": 130000},
                    {
                        "group": "AML-SR",
                        "reported": 8000,
                        "last_year_usage": 12000,
                        "preferred_enterprise": "E01",
                    },
                ],
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": "group,reported,last_year_usage,preferred_enterprise\n"
                "AML-ORAL,120000,130000,\nAML-SR,8000,12000,E01\n",
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/demands:bulk",
    response_model=BulkResult,
    responses=problem_responses(404, 409, 415),
    openapi_extra=_BULK_BODY,
)
def bulk_report(
    round_id: str,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    principal: InstitutionPrincipal,
    upload: Annotated[Upload, Depends(read_upload)],
) -> BulkResult:
    """Report many groups at once (up to 100,000 lines): all or nothing. A 422 lists every
    bad line with its number and field (CSV: the header is line 1; JSON: the n-th element is
    line n). Columns: group, reported, last_year_usage, preferred_enterprise (optional)."""
    return service.bulk_report(
        session,
        round_id=round_id,
        rows=upload.rows,
        parse_errors=upload.errors,
        text=upload.text,
        max_lines=request.app.state.settings.bulk_max_lines,
        actor=principal,
        now=clock.now(),
    )


@router.get("/demands", response_model=Page[DemandReportPublic], responses=problem_responses(404))
def list_reports(
    round_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Role.bureau, Role.institution))],
    flagged: bool | None = None,
    review_status: ReviewStatus | None = None,
    institution_id: str | None = None,
    group_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[DemandReportPublic]:
    """The bureau lists every report (`flagged=true&review_status=pending` for the review
    queue); an institution lists its own."""
    rows, last = service.list_reports(
        session,
        round_id=round_id,
        viewer=principal,
        institution_id=institution_id,
        group_id=group_id,
        flagged=flagged,
        review_status=review_status,
        after_id=decode_cursor(cursor),
        limit=limit,
    )
    return Page(items=[_public(r) for r in rows], next_cursor=encode_cursor(last))


@router.get(
    "/institutions/{institution_id}/demands/{group_id}",
    response_model=DemandReportPublic,
    responses=problem_responses(404),
)
def get_report(
    round_id: str,
    institution_id: str,
    group_id: str,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Role.bureau, Role.institution))],
) -> DemandReportPublic:
    """One institution's report for one group (an institution may read only its own)."""
    row = service.get_report(
        session,
        round_id=round_id,
        institution_id=institution_id,
        group_id=group_id,
        viewer=principal,
    )
    set_etag(response, row.version)
    return _public(row)


@router.post(
    "/institutions/{institution_id}/demands/{group_id}/review",
    response_model=DemandReportPublic,
    responses=problem_responses(404, 409, 412),
)
def review_report(
    round_id: str,
    institution_id: str,
    group_id: str,
    body: ReviewRequest,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    if_match: IfMatch = None,
) -> DemandReportPublic:
    """Accept, adjust or reject a report, with a reason; until demand is locked. Recorded in
    the audit trail with who, when and why."""
    row = service.review(
        session,
        round_id=round_id,
        institution_id=institution_id,
        group_id=group_id,
        data=body,
        if_match=if_match,
        actor=principal,
        now=clock.now(),
    )
    set_etag(response, row.version)
    return _public(row)
