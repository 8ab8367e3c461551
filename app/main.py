"""The application factory and `vbp serve`."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from app.admission import AdmissionLimit
from app.body_limit import BodyLimit
from app.clock import Clock, SystemClock
from app.db import make_engine, normalise_url, upgrade
from app.errors import add_problem_schemas, install_error_handlers
from app.idempotency.service import Replay, replay_handler
from app.settings import Settings

API_PREFIX = "/api/v1"

DESCRIPTION = """
Drug volume-based procurement (药品集中带量采购) for an insurance bureau (医保局), medical
institutions (医疗机构) and enterprises (企业).

Authenticate with `Authorization: Bearer <token>`. Each route lists the roles that may call it
in `x-roles`. Errors are RFC 9457 `application/problem+json`. Mutable resources carry an `ETag`;
send `If-Match` to update them safely (412 on mismatch). Every POST accepts `Idempotency-Key`.
"""


def _routers() -> list[Any]:
    """The routers in the order of /docs: a round's life, then the agreement period."""
    from app.actors.router import router as actors
    from app.audit.router import router as audit
    from app.award.router import router as award
    from app.bids.router import router as bids
    from app.catalog.router import router as catalog
    from app.contracts.registry import routers as agreement_period
    from app.demand.router import router as demand
    from app.exchange.router import router as exchange
    from app.health import router as health
    from app.outcomes.router import router as outcomes
    from app.rounds.router import router as rounds
    from app.simulations.router import router as simulations

    return [
        health,
        actors,
        rounds,
        catalog,
        demand,
        audit,
        exchange,
        bids,
        award,
        outcomes,
        simulations,
        *agreement_period(),  # contracts, orders, ledger, credit, standards, exports
    ]


# A request is matched against the routes in the order they were included: the routers of
# what the service gets most of (bids, demand reports) go first; openapi tags keep /docs in
# the order of `_routers`.
_MOST_REQUESTED = frozenset({"bids", "demand"})


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    """The service for `settings`. Migrations are not applied here (see `serve`, and the
    tests' fixtures); `engine` lets a caller share one engine between apps."""
    owns_engine = engine is None
    db_engine = (
        engine
        if engine is not None
        else make_engine(
            settings.database_url,
            echo=settings.sql_echo,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the threadpool that runs the plain `def` handlers and dependencies
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_size
        yield
        if owns_engine:
            db_engine.dispose()

    routers = _routers()
    tags = dict.fromkeys(tag for router in routers for tag in router.tags)
    app = FastAPI(
        title="vbp — drug volume-based procurement",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[{"name": tag} for tag in tags],
    )
    app.state.settings = settings
    app.state.engine = db_engine
    app.state.clock = clock if clock is not None else SystemClock()
    app.add_middleware(AdmissionLimit, limit=settings.request_concurrency)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # outermost: first to run
    install_error_handlers(app)
    app.add_exception_handler(Replay, replay_handler)
    for router in sorted(routers, key=lambda r: _MOST_REQUESTED.isdisjoint(r.tags)):
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            add_problem_schemas(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _serving_app(settings: Settings) -> FastAPI:
    """The app of a serving process, with its start-up heap set aside.

    After start-up a process holds about 200,000 objects that live as long as it does
    (modules, routes, schemas, the ORM's mappers). Python's full garbage collections walk all
    of them: here about 100 ms each, several times a minute while bulk uploads run, and a
    request that triggers one waits for it. `gc.freeze()` moves them out of the collector's
    reach, so full collections only walk what requests made (a few ms). Tests build apps
    with `create_app` and are not frozen: frozen objects are never freed."""
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """The service for the `VBP_*` settings (the factory each `vbp serve` worker calls)."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    return _serving_app(settings)


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int | None = None) -> int:
    """`vbp serve`: apply the migrations, then run the service with uvicorn, in `workers`
    processes (default: the setting `VBP_WORKERS`; see app.serving). SQLite gets one process
    (it has one writer at a time anyway)."""
    import uvicorn

    from app.serving import run_workers

    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    upgrade(settings.database_url)
    count = settings.workers if workers is None else workers
    if make_url(normalise_url(settings.database_url)).get_backend_name() == "sqlite":
        count = 1
    log_level = settings.log_level.lower()
    if count > 1:
        return run_workers(host, port, workers=count, log_level=log_level)
    uvicorn.run(_serving_app(settings), host=host, port=port, log_level=log_level)
    return 0
