"""GET /health: is the service up and its database reachable."""

from typing import Literal

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy import Engine, text

from app.auth.deps import public
from app.routing import make_router

router = make_router(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


def _database_answers(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # one round trip: no BEGIN, and no ROLLBACK when the connection goes back
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("SELECT 1"))


@router.get("/health", dependencies=[Depends(public)], response_model=Health)
async def health(request: Request) -> Health:
    """async, and not counted by the admission limit (app.admission): a busy service still
    answers at once. The database check is the only blocking part; it goes to a thread of its
    own (a limiter of its own, not the handlers' threadpool, which may be full)."""
    await anyio.to_thread.run_sync(
        _database_answers, request.app.state.engine, limiter=anyio.CapacityLimiter(1)
    )
    return Health(status="ok", database="ok")
