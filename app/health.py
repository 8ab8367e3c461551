"""GET /health: is the service up and its database reachable."""

from typing import Literal

from fastapi import Depends
from pydantic import BaseModel
from sqlalchemy import text

from app.auth.deps import public
from app.db import SessionDep
from app.routing import make_router

router = make_router(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


@router.get("/health", dependencies=[Depends(public)], response_model=Health)
def health(session: SessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
