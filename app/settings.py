"""Service settings: one pydantic-settings class, read from `VBP_*` environment variables.

Nothing else reads `os.environ`. `create_app(settings)` receives an instance; no settings object
is built at import time.
"""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VBP_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./vbp.db",
        description="SQLAlchemy URL; PostgreSQL as postgresql+psycopg://user@host/db",
    )
    sql_echo: bool = Field(default=False, description="log every SQL statement")
    bulk_max_lines: int = Field(
        default=100_000, ge=1, description="most demand lines one bulk upload may hold"
    )
    page_max: int = Field(default=1000, ge=1, description="largest page size of list routes")
    max_body_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1,
        description="largest request body (413 beyond it): a national round document is about"
        " 100 MB, a bulk upload of 100,000 lines about 5 MB",
    )
    log_level: str = "info"
    request_concurrency: int = Field(
        default=4,
        ge=0,
        description="requests handled at once per process; more wait their turn (0: no limit;"
        " see app.admission)",
    )
    threadpool_size: int = Field(
        default=40,
        ge=1,
        description="threads per process for the plain `def` handlers and dependencies",
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="database connections kept open per process (PostgreSQL)",
    )
    db_max_overflow: int = Field(
        default=20,
        ge=0,
        description="connections opened beyond db_pool_size under load (PostgreSQL); the sum is"
        " at least threadpool_size, so that no handler waits for a connection",
    )
    workers: int = Field(
        default=1, ge=1, description="`vbp serve` worker processes (each runs its own award jobs)"
    )
    award_worker: Literal["process", "inline"] = Field(
        default="process",
        description="run award jobs in a worker process (the API stays responsive), or inline (tests)",
    )
