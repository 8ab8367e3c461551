"""Errors as RFC 9457 problem details (`application/problem+json`).

Services raise `DomainError` subclasses; each carries its HTTP status, a problem `type` and a
`title`. One handler renders them; others render FastAPI's validation errors (422, naming the
field path), HTTP errors of routing (404 unknown route, 405) and, as a last resort, any other
exception as a 500 that says nothing about internals.
"""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("vbp")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:vbp:problem:"


class FieldError(BaseModel):
    field: str = Field(description="path of the offending field, e.g. body.reported")
    message: str
    line: int | None = Field(
        default=None, description="line of a bulk upload (CSV: the header is line 1)"
    )


class Problem(BaseModel):
    """RFC 9457 problem details. Extensions (errors, from_state, to_state, …) may follow."""

    type: str = Field(examples=["urn:vbp:problem:illegal-transition"])
    title: str = Field(examples=["Illegal state transition"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["a round in state draft cannot move to awarded"])
    instance: str | None = Field(default=None, examples=["/api/v1/rounds/YN-2027-01/transitions"])
    errors: list[FieldError] | None = None

    model_config = {"extra": "allow"}


class DomainError(Exception):
    """An expected outcome that is not a success. Subclasses set status, slug and title."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


class Unauthenticated(DomainError):
    status, slug, title = 401, "unauthenticated", "Authentication required"

    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        challenge = 'Bearer realm="vbp"'
        if invalid_token:
            challenge += ', error="invalid_token"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Resource not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class AlreadyExists(Conflict):
    slug, title = "already-exists", "Resource already exists"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Illegal state transition"

    def __init__(self, from_state: str, to_state: str, detail: str | None = None) -> None:
        super().__init__(
            detail or f"a round in state {from_state} cannot move to {to_state}",
            from_state=from_state,
            to_state=to_state,
        )


class TransitionBlocked(IllegalTransition):
    """A legal move whose precondition does not hold yet (no groups, window still open, …)."""

    slug, title = "transition-blocked", "State transition not possible now"


class WrongState(Conflict):
    """An action that the round's current state does not allow (e.g. a catalog edit after
    draft)."""

    slug, title = "wrong-state", "Not allowed in the round's current state"


class WindowClosed(Conflict):
    """A submission outside its window (late or early): SPEC §10."""

    slug, title = "window-closed", "Submission window closed"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class InvalidInput(DomainError):
    """422 with one entry per offending field."""

    status, slug, title = 422, "invalid-input", "Invalid input"

    def __init__(self, detail: str, errors: Sequence[FieldError | tuple[str, str]]) -> None:
        items = [
            e if isinstance(e, FieldError) else FieldError(field=e[0], message=e[1]) for e in errors
        ]
        super().__init__(detail, errors=[e.model_dump(exclude_none=True) for e in items])


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class IdempotencyKeyReused(DomainError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"


class IdempotencyInProgress(Conflict):
    slug, title = "idempotency-in-progress", "A request with this Idempotency-Key is in progress"


def problem_response(
    *,
    status: int,
    type_: str,
    title: str,
    detail: str,
    instance: str | None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def format_loc(loc: Sequence[int | str]) -> str:
    """('body', 3, 'reported') -> 'body[3].reported'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part in {"constrained-str", "lax-or-strict"}:
            continue
        else:
            out += f".{part}" if out else part
    return out or "body"


def _validation_message(err: Mapping[str, Any]) -> str:
    message = str(err.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if err.get("type") == "extra_forbidden":
        message = "unknown field"
    if err.get("type") == "json_invalid":
        message = f"invalid JSON: {err.get('ctx', {}).get('error', 'decode error')}"
    return message


def domain_problem(
    exc: DomainError, instance: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The problem+json response of a domain error (`headers` beside the error's own)."""
    return problem_response(
        status=exc.status,
        type_=exc.type,
        title=exc.title,
        detail=exc.detail,
        instance=instance,
        headers={**exc.headers, **(headers or {})},
        extensions=exc.extensions,
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_problem(exc, request.url.path)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            loc = loc[:1]  # the position is in the message
        errors.append({"field": format_loc(loc), "message": _validation_message(err)})
    return _invalid_request(request, errors)


def _invalid_request(request: Request, errors: list[dict[str, str]]) -> JSONResponse:
    """The 422 of a request FastAPI could not take: every problem with the field it names."""
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem_response(
        status=422,
        type_=PROBLEM_BASE + InvalidInput.slug,
        title=InvalidInput.title,
        detail=f"invalid request: {fields}",
        instance=request.url.path,
        extensions={"errors": errors},
    )


_BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's words


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    cause = exc.__cause__
    if isinstance(cause, DomainError):  # raised while FastAPI read the body (BodyTooLarge)
        return await _domain_error(request, cause)
    if status == 400 and exc.detail == _BODY_PARSE_ERROR and cause is not None:
        # FastAPI could not read the body: bytes that are not UTF-8, a number too long for
        # Python to read, arrays nested too deep to decode. Like invalid JSON: a 422 naming
        # the body.
        if isinstance(cause, UnicodeDecodeError):
            message = f"the body must be UTF-8 JSON: {cause.reason} at byte {cause.start}"
        elif "integer string conversion" in str(cause):
            message = "the body cannot be read: a number has too many digits"
        elif isinstance(cause, RecursionError):
            message = "the body cannot be read: it is nested too deeply"
        else:
            message = "the body cannot be read as JSON"
        return _invalid_request(request, [{"field": "body", "message": message}])
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if status == 404 and detail == phrase:
        detail = f"no route {request.url.path}"
    elif status == 405 and detail == phrase:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    return problem_response(
        status=status,
        type_="about:blank",
        title=phrase,
        detail=detail,
        instance=request.url.path,
        headers=exc.headers,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        status=500,
        type_=PROBLEM_BASE + "internal-error",
        title="Internal server error",
        detail="the service failed to handle this request; the error has been logged",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem+json errors (the Problem schema is added to the
    components by `add_problem_schemas`)."""
    descriptions = {
        401: "no or invalid bearer token",
        403: "the caller's role may not use this route",
        404: "not found, or owned by another actor",
        409: "conflicts with the current state (illegal transition, closed window, duplicate)",
        412: "If-Match does not match the current ETag",
        422: "invalid input; `errors` names each field",
    }
    return {
        s: {
            "description": descriptions.get(s, HTTPStatus(s).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


def add_problem_schemas(openapi: dict[str, Any]) -> None:
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas["Problem"] = schema
