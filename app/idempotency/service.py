"""Idempotency-Key on POST: the first response is stored in the request's own transaction and
replayed (same status, same body) for a retry with the same key; nothing is created twice.

The route class (`app.routing.VbpRoute`) wires this into every POST route:
`idempotency_guard` runs before the handler and either replays, refuses, or reserves the key
(a row without a response); after a 2xx response `store_response` fills the row. An error
rolls the transaction back, reservation included, so the key can be retried.

A key belongs to one actor (`Principal.subject`). Reusing it for another request (another
path or body) is a 422; a JSON body is compared by its content, not its spacing or key order. Two concurrent requests with one key: on PostgreSQL the second waits
on the unique index until the first commits, then replays its response.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from app.auth.deps import optional_principal
from app.auth.service import Principal
from app.clock import Clock
from app.common import media_type
from app.db import WRITES_AFTER_HANDLER, SessionDep
from app.errors import IdempotencyInProgress, IdempotencyKeyReused, InvalidInput
from app.idempotency.models import IdempotencyKey
from app.text import screen

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# response headers worth replaying
_KEPT_HEADERS = ("content-type", "etag", "location")


class Replay(Exception):
    """The stored first response of this key, to be sent as it is."""

    def __init__(self, status_code: int, body: str, headers: dict[str, str]) -> None:
        self.status_code = status_code
        self.body = body
        self.headers = headers


async def request_body(request: Request) -> bytes:
    """The raw body (Starlette caches it, so the handler can still read or parse it)."""
    return await request.body()


# A JSON body up to this size is compared by its content; a larger one (a bulk upload, which
# a retry sends again from the same file) by its bytes.
_CANONICAL_JSON_LIMIT = 1 << 20


def _number_text(text: str) -> str:
    # a decimal number as written, marked so that it differs from any string a request can
    # carry (NUL is refused in every field): 0.2059 and 0.20589999999999999 are two prices,
    # which floats would make one
    return "\x00" + text


def _canonical_json(body: bytes) -> bytes | None:
    """The body's JSON with sorted keys and no spaces, so that a retry that serialises the
    same request anew (keys in another order, other spacing) is the same request. Numbers
    keep their text; the output is ASCII (a lone surrogate cannot fail it)."""
    try:
        data = json.loads(body, parse_float=_number_text)
    except (ValueError, RecursionError):
        return None
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def request_fingerprint(request: Request, body: bytes, *, canonical: bool = True) -> str:
    """The request's method, path, query and body, hashed; a JSON body by its content
    (`canonical`), else by its bytes."""
    content_type = request.headers.get("content-type", "")
    if (
        canonical
        and media_type(content_type) == "application/json"
        and len(body) <= _CANONICAL_JSON_LIMIT
    ):
        body = _canonical_json(body) or body
    elif "boundary=" in content_type:
        # a multipart body differs between retries only by its random boundary
        boundary = content_type.split("boundary=", 1)[1].split(";", 1)[0].strip('"')
        body = body.replace(boundary.encode("latin-1"), b"")
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _find(session: Session, subject: str, key: str) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(IdempotencyKey.subject == subject, IdempotencyKey.key == key)
    ).one_or_none()


def _check_existing(row: IdempotencyKey, request: Request, fingerprint: str, body: bytes) -> None:
    if row.method != request.method or row.path != request.url.path:
        raise IdempotencyKeyReused(
            f"this Idempotency-Key was first used for {row.method} {row.path}; use a new key"
        )
    if row.request_hash != fingerprint and row.request_hash != request_fingerprint(
        request, body, canonical=False
    ):  # (a key stored before JSON bodies were compared by content has their bytes' hash)
        raise IdempotencyKeyReused(
            "this Idempotency-Key was first used with a different request body; use a new key"
        )
    if row.status_code is None:
        raise IdempotencyInProgress("the first request with this key has not finished; retry")
    raise Replay(row.status_code, row.response_body or "", dict(row.response_headers or {}))


async def idempotency_guard(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> None:
    # async, so that a POST without a key (most of them) costs no trip to the threadpool; the
    # database work for a key runs there. The body and the clock are read only for a key: each
    # dependency costs every POST its resolution.
    key = request.headers.get(HEADER)
    if key is None or principal is None:
        return  # no key; or no caller, whom the route's guard will turn away
    if principal.role.value not in getattr(request.scope.get("route"), "allowed_roles", ()):
        return  # a caller the route's guard will turn away (403): nothing to reserve
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidInput(
            "invalid Idempotency-Key", [(f"header.{HEADER}", "1 to 200 printable characters")]
        )
    # what the route's guard will refuse is refused before the key is stored with it (a NUL
    # in the path cannot be stored on PostgreSQL)
    await screen(request)
    body = await request.body()  # Starlette keeps it: the handler can still read or parse it
    clock: Clock = request.app.state.clock
    request.state.idempotency_row = await run_in_threadpool(
        _reserve, session, request, principal.subject, key, body, clock.now()
    )
    session.info[WRITES_AFTER_HANDLER] = True  # the response, by app.routing


def _reserve(
    session: Session, request: Request, subject: str, key: str, body: bytes, now: datetime
) -> IdempotencyKey:
    """Replay or refuse a known key (raises), else reserve it: a row without a response."""
    fingerprint = request_fingerprint(request, body)
    existing = _find(session, subject, key)
    if existing is not None:
        _check_existing(existing, request, fingerprint, body)
    row = IdempotencyKey(
        subject=subject,
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=fingerprint,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # a concurrent request with this key committed first
        existing = _find(session, subject, key)
        if existing is None:
            raise
        _check_existing(existing, request, fingerprint, body)
    return row


def store_response(
    session: Session,
    row: IdempotencyKey,
    *,
    status_code: int,
    body: bytes,
    headers: Iterable[tuple[str, str]],
    redact: Iterable[str] = (),
) -> None:
    """Record the first response of a key (called by the route class after a 2xx)."""
    text = body.decode("utf-8")
    redact = tuple(redact)
    if redact:
        # secrets (a new token) are shown once; a replay says the field was redacted
        data: Any = json.loads(text)
        if isinstance(data, dict):
            for field in redact:
                if field in data:
                    data[field] = None
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    row.status_code = status_code
    row.response_body = text
    row.response_headers = {k: v for k, v in headers if k.lower() in _KEPT_HEADERS}
    session.add(row)
    session.flush()


def forget(session: Session, row: IdempotencyKey) -> None:
    """Drop a reservation whose request did not succeed (the key may be used again)."""
    session.delete(row)
    session.flush()


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    headers = {k: v for k, v in exc.headers.items() if k.lower() != "content-type"}
    headers[REPLAYED_HEADER] = "true"
    return Response(
        exc.body,
        status_code=exc.status_code,
        headers=headers,
        media_type=exc.headers.get("content-type", "application/json"),
    )
