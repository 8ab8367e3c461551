"""The access walk: every route of the OpenAPI document, as nobody, as each wrong role, and as
another actor of the right role reaching for someone else's resource.

Routes are read from `app.openapi()` with the roles each declares (`x-roles`), so a new route
is walked without touching this file. What this file must know is how to fill a path
parameter: `PATH_VALUES` gives every parameter a value from the seeded world, and `OWNED`
says which parameters name an actor's resource (for the 404 check). A route with a parameter
missing from `PATH_VALUES` fails `test_every_path_parameter_has_a_value`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.api.conftest import Api, assert_problem, bearer, create_bureau_token, make_app
from tests.conftest import backends, fresh_database

ROLES = ("bureau", "institution", "enterprise")


def _openapi() -> dict[str, Any]:
    # building the app opens no connection
    schema: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
    return schema


OPENAPI = _openapi()


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    roles: tuple[str, ...]
    operation: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes() -> list[Route]:
    return [
        Route(method.upper(), path, tuple(op["x-roles"]), op)
        for path, ops in OPENAPI["paths"].items()
        for method, op in ops.items()
    ]


def guarded() -> list[Route]:
    return [r for r in routes() if r.roles]


# A value for every path parameter, from the world `world` builds. "Own" resources belong to
# the first actor of each role (H001, E01); the 404 check calls as the second (H002, E02).
PATH_VALUES: dict[str, str] = {
    "round_id": "YN-2027-01",
    "group_id": "AML-ORAL",
    "institution_id": "H001",
    "enterprise_id": "E01",
    "token_id": "1",
    "job_id": "1",
    "contract_id": "1",
    "order_id": "1",
    "invoice_id": "1",
}
# parameter -> the role that owns what it names
OWNED: dict[str, str] = {"institution_id": "institution", "enterprise_id": "enterprise"}
OTHER_ACTOR = {"institution": "H002", "enterprise": "E02"}


def path_params(route: Route) -> list[str]:
    return [p["name"] for p in route.operation.get("parameters", []) if p["in"] == "path"]


def url(route: Route) -> str:
    # auth runs before any lookup, so 401/403 hold whatever the (unknown) parameters are
    out = route.path
    for name in path_params(route):
        out = out.replace("{" + name + "}", PATH_VALUES.get(name, "0"))
    return out


def example_body(route: Route) -> Any:
    """The documented example of the route's JSON body (None without a JSON body)."""
    content = route.operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    media = content["application/json"]
    if "example" in media:
        return media["example"]
    schema = media["schema"]
    if "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema["examples"][0]


def call(client: TestClient, route: Route, headers: dict[str, str], body: Any = None) -> Any:
    if body is None:
        return client.request(route.method, url(route), headers=headers)
    return client.request(route.method, url(route), headers=headers, json=body)


@pytest.fixture(scope="module", params=backends())
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One seeded world per backend for the whole walk (the walk changes nothing)."""
    from datetime import timedelta

    from app.clock import FixedClock
    from tests.api.conftest import T0

    database = fresh_database(request, request.param, tmp_path_factory.mktemp("walk"))
    app = make_app(database, FixedClock(T0 + timedelta(hours=1)))
    with TestClient(app) as client:
        api = Api(client=client, bureau_token=create_bureau_token(database))
        tokens = {"bureau": api.bureau_token}
        api.institution("H001")
        api.institution("H002")
        api.enterprise("E01")
        api.enterprise("E02")
        api.open_demand("YN-2027-01")
        r = api.report(api.actor("H001"), "AML-ORAL", 100, 100)
        assert r.status_code == 201, r.text
        tokens |= {"institution": api.tokens["H001"], "enterprise": api.tokens["E01"]}
        tokens |= {f"other-{k}": api.tokens[v] for k, v in OTHER_ACTOR.items()}
        yield client, tokens


def test_every_route_declares_its_roles() -> None:
    for route in routes():
        assert set(route.roles) <= set(ROLES), route
    public = [str(r) for r in routes() if not r.roles]
    # the health check, and the payment standards the bureau publishes for everyone (SPEC §9)
    assert sorted(public) == ["GET /api/v1/payment-standards", "GET /health"]


def test_every_path_parameter_has_a_value() -> None:
    missing = {f"{r}: {p}" for r in routes() for p in path_params(r) if p not in PATH_VALUES}
    assert not missing, f"add these to PATH_VALUES (and OWNED if an actor owns them): {missing}"


def test_every_json_body_has_an_example() -> None:
    for route in routes():
        if (
            "requestBody" in route.operation
            and "application/json" in route.operation["requestBody"]["content"]
        ):
            assert example_body(route) is not None, route


@pytest.mark.parametrize("route", guarded(), ids=str)
def test_no_token_is_401(world: tuple[TestClient, dict[str, str]], route: Route) -> None:
    client, _ = world
    response = call(client, route, {})
    body = assert_problem(response, 401, type_suffix="unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in body["detail"]


@pytest.mark.parametrize("route", guarded(), ids=str)
def test_unknown_token_is_401(world: tuple[TestClient, dict[str, str]], route: Route) -> None:
    client, _ = world
    response = call(client, route, bearer("vbp_not-a-token"))
    assert_problem(response, 401, type_suffix="unauthenticated")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("route", "role"),
    [(r, role) for r in guarded() for role in ROLES if role not in r.roles],
    ids=lambda v: str(v),
)
def test_wrong_role_is_403(
    world: tuple[TestClient, dict[str, str]], route: Route, role: str
) -> None:
    client, tokens = world
    body = assert_problem(call(client, route, bearer(tokens[role])), 403, type_suffix="forbidden")
    assert role in body["detail"]


def _owned_cases() -> list[tuple[Route, str]]:
    return [
        (r, param)
        for r in guarded()
        for param in path_params(r)
        if param in OWNED and OWNED[param] in r.roles
    ]


@pytest.mark.parametrize(("route", "param"), _owned_cases(), ids=lambda v: str(v))
def test_another_actors_resource_is_404(
    world: tuple[TestClient, dict[str, str]], route: Route, param: str
) -> None:
    client, tokens = world
    owner_role = OWNED[param]
    # the owner itself gets through ...
    own = call(client, route, bearer(tokens[owner_role]), example_body(route))
    assert own.status_code < 400, (route, own.text)
    # ... another actor of the same role is told it does not exist
    other = call(client, route, bearer(tokens[f"other-{owner_role}"]), example_body(route))
    body = assert_problem(other, 404, type_suffix="not-found")
    assert PATH_VALUES[param] in body["detail"]


def test_the_walk_covers_owned_routes() -> None:
    # guards against the 404 walk silently testing nothing
    assert len(_owned_cases()) >= 3
