"""Who may call a route.

Every route declares its callers with exactly one access dependency:

    def get_round(..., principal: Principal = Depends(require(Role.bureau, Role.institution)))

or, for the rare public route, `dependencies=[Depends(public)]`. The route class
(`app.routing.VbpRoute`) finds the declaration, publishes it in OpenAPI as `x-roles` (the
access-walk test reads it) and refuses a route that declares nothing.

No or an unknown token → 401 (with `WWW-Authenticate`); a known token of another role → 403.
Only `optional_principal` reads the database (a plain `def`, run in the threadpool); the checks
on top of it are `async def`, as they block on nothing: each plain `def` dependency costs a trip
to the threadpool and back on every request.
A resource that belongs to another actor is reported as 404 by the services, never 403, so
its existence is not revealed. Once the caller is known and allowed, the declaration screens
the request (`app.text.screen`: a JSON body sent as another media type, text no field may
hold), so that 401 and 403 come before those 415s and 422s.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.models import Role
from app.auth.service import Principal, authenticate
from app.db import SessionDep
from app.errors import Forbidden, Unauthenticated
from app.text import screen

_bearer = HTTPBearer(
    auto_error=False,
    description="a token from `vbp tokens create` (bureau) or POST …/{id}/tokens",
)


def optional_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller, or None without a valid token (never raises)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        request.state.auth_problem = "missing"
        return None
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        request.state.auth_problem = "invalid"
        return None
    request.state.principal = principal
    return principal


class RoleGuard:
    """The access declaration of a route: the roles that may call it."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a guard needs at least one role; use `public` for none")
        self.roles: tuple[Role, ...] = tuple(dict.fromkeys(roles))

    async def __call__(
        self,
        request: Request,
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            if getattr(request.state, "auth_problem", "missing") == "invalid":
                raise Unauthenticated("the bearer token is unknown or revoked", invalid_token=True)
            raise Unauthenticated("this route needs an `Authorization: Bearer <token>` header")
        if principal.role not in self.roles:
            allowed = ", ".join(r.value for r in self.roles)
            raise Forbidden(
                f"this route is for the role(s) {allowed}; the token belongs to "
                f"the role {principal.role.value}"
            )
        await screen(request)
        return principal

    def __repr__(self) -> str:
        return f"require({', '.join(r.value for r in self.roles)})"


def require(*roles: Role) -> RoleGuard:
    return RoleGuard(*roles)


async def public(request: Request) -> None:
    """The access declaration of a route anyone may call (GET /health)."""
    await screen(request)


# Shorthands for the common declarations.
BureauPrincipal = Annotated[Principal, Depends(require(Role.bureau))]
InstitutionPrincipal = Annotated[Principal, Depends(require(Role.institution))]
EnterprisePrincipal = Annotated[Principal, Depends(require(Role.enterprise))]
AnyPrincipal = Annotated[
    Principal, Depends(require(Role.bureau, Role.institution, Role.enterprise))
]
