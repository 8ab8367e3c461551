"""`vbp tokens create --role bureau --name NAME`: the first token, from the command line.

Applies the migrations to the database that VBP_DATABASE_URL names, creates the token and
prints it once, alone on the last line of the output.
"""

import sys

from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import issue_token
from app.clock import SystemClock
from app.db import make_engine, normalise_url, upgrade
from app.settings import Settings


def create_token_command(*, role: str, name: str, settings: Settings | None = None) -> int:
    if role != Role.bureau.value:
        print(
            "only bureau tokens are created here; the bureau issues institution and "
            "enterprise tokens through the API",
            file=sys.stderr,
        )
        return 2
    if not name.strip() or len(name) > 200:
        print("--name must be 1 to 200 characters", file=sys.stderr)
        return 2
    settings = settings or Settings()
    url = normalise_url(settings.database_url)
    upgrade(url)
    engine = make_engine(url)
    now = SystemClock().now()
    try:
        with Session(engine) as session:
            row, plain = issue_token(session, role=Role.bureau, name=name, now=now)
            audit.record(
                session,
                actor=audit.COMMAND_LINE,
                now=now,
                action="issue",
                entity_type="api_token",
                entity_id=str(row.id),
                after=audit.snapshot(row, exclude=("token_hash",)),
            )
            session.commit()
            token_id = row.id
    finally:
        engine.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"Created bureau token #{token_id} ({name!r}) in {shown}.")
    print("It is shown only this once; store it now:")
    print(plain)
    return 0
