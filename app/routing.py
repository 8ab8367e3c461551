"""The route class of every vbp route, and the router factory.

`VbpRoute`:
- requires an access declaration (`require(...)` or `public`, see `app.auth.deps`) and
  publishes it in OpenAPI as `x-roles` (an empty list for public routes);
- documents the problem+json errors a route can return;
- makes every POST honour `Idempotency-Key` (`app.idempotency.service`);
- lets a plain `def` handler that returns a finished `Response` commit the request's
  transaction in its own thread (`app.db.commit_in_handler`);

Use `make_router(prefix=..., tags=[...])` for a domain's router.
"""

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth.deps import RoleGuard, public
from app.db import commit_in_handler
from app.errors import problem_responses
from app.idempotency import service as idempotency

X_ROLES = "x-roles"
X_IDEMPOTENCY_REDACT = "x-idempotency-redact"


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _walk(sub)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A plain `def` endpoint that, when it returns a finished `Response` (nothing left for
    FastAPI to validate or serialise), commits the request's session in its own thread
    (app.db.commit_in_handler): one trip to the threadpool per request fewer. Any other result
    is committed by `SessionDep` after the response is serialised, so that a response that
    fails validation still rolls the request back. The signature is the endpoint's (FastAPI
    reads it through `__wrapped__`)."""

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        if isinstance(result, Response):
            for value in kwargs.values():
                if isinstance(value, Session):
                    commit_in_handler(value)
                    break
        return result

    return run


def _is_plain_function(endpoint: Callable[..., Any]) -> bool:
    """Neither a coroutine nor a generator function, looked at as FastAPI does (unwrapped)."""
    target = inspect.unwrap(endpoint)
    return not (
        inspect.iscoroutinefunction(target)
        or inspect.isgeneratorfunction(target)
        or inspect.isasyncgenfunction(target)
    )


class VbpRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if _is_plain_function(endpoint):
            endpoint = _committing(endpoint)
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        if "POST" in methods:
            kwargs["dependencies"] = [
                Depends(idempotency.idempotency_guard),
                *(kwargs.get("dependencies") or []),
            ]
        super().__init__(path, endpoint, **kwargs)

        calls = [d.call for d in _walk(self.dependant)]
        guards = {c for c in calls if isinstance(c, RoleGuard)}
        is_public = public in calls
        name = f"{sorted(methods)} {path}"
        if len(guards) + int(is_public) != 1:
            raise RuntimeError(
                f"route {name} must declare who may call it with exactly one "
                f"Depends(require(...)) or Depends(public); found {len(guards)} guard(s)"
                f"{' and public' if is_public else ''}"
            )
        roles = [] if is_public else [r.value for r in next(iter(guards)).roles]
        self.allowed_roles: tuple[str, ...] = tuple(roles)
        self.openapi_extra = {**(self.openapi_extra or {}), X_ROLES: roles}

        statuses = [422]
        if self.body_field is not None:
            statuses.append(415)
        if not is_public:
            statuses += [401, 403]
        for status, entry in problem_responses(*statuses).items():
            self.responses.setdefault(status, entry)
        if "POST" in methods:
            self.description = (self.description or "") + (
                "\n\nSend an `Idempotency-Key` header to make a retry safe: the first "
                "response is replayed (header `Idempotent-Replayed: true`)."
            )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        redact = tuple((self.openapi_extra or {}).get(X_IDEMPOTENCY_REDACT, ()))

        async def route_handler(request: Request) -> Response:
            response = await handler(request)
            row = getattr(request.state, "idempotency_row", None)
            if row is None:
                return response
            # still inside the request's transaction: the session commits after this returns
            session = request.state.session
            if 200 <= response.status_code < 300 and hasattr(response, "body"):
                await run_in_threadpool(
                    idempotency.store_response,
                    session,
                    row,
                    status_code=response.status_code,
                    body=bytes(response.body),
                    headers=list(response.headers.items()),
                    redact=redact,
                )
            else:
                await run_in_threadpool(idempotency.forget, session, row)
            return response

        return route_handler


def make_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=VbpRoute, **kwargs)
