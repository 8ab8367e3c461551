"""Registering institutions and enterprises and issuing their tokens (the bureau's work)."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors.models import Enterprise, Institution
from app.actors.schemas import EnterpriseCreate, InstitutionCreate
from app.audit import service as audit
from app.auth import service as auth
from app.auth.models import ApiToken, Role
from app.auth.service import Principal
from app.errors import AlreadyExists, NotFound


def _already_registered(kind: str, actor_id: str) -> AlreadyExists:
    return AlreadyExists(f"{kind} {actor_id!r} is already registered", id=actor_id)


def _register(
    session: Session, row: Institution | Enterprise, *, kind: str, actor: Principal, now: datetime
) -> None:
    """Add a new actor (409 if its id is taken) and record it in the audit trail. Two
    registrations of one id at once both find none (PostgreSQL); the later insert waits for
    the first and fails on its row: the same 409, and the request is rolled back whole."""
    if session.get(type(row), row.id) is not None:
        raise _already_registered(kind, row.id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise _already_registered(kind, row.id) from None
    audit.record(
        session,
        actor=actor,
        now=now,
        action="register",
        entity_type=kind,
        entity_id=row.id,
        after=audit.snapshot(row),
    )


def register_institution(
    session: Session, *, data: InstitutionCreate, actor: Principal, now: datetime
) -> Institution:
    row = Institution(id=data.id, name=data.name, region=data.region, created_at=now)
    _register(session, row, kind="institution", actor=actor, now=now)
    return row


def register_enterprise(
    session: Session, *, data: EnterpriseCreate, actor: Principal, now: datetime
) -> Enterprise:
    row = Enterprise(id=data.id, name=data.name, credit_level=data.credit_level, created_at=now)
    _register(session, row, kind="enterprise", actor=actor, now=now)
    return row


def _visible(viewer: Principal, role: Role, actor_id: str) -> bool:
    """The bureau sees every actor; an actor sees only itself."""
    return viewer.role is Role.bureau or (viewer.role is role and viewer.actor_id == actor_id)


def get_institution(session: Session, institution_id: str, *, viewer: Principal) -> Institution:
    row = session.get(Institution, institution_id)
    if row is None or not _visible(viewer, Role.institution, institution_id):
        raise NotFound(f"no institution {institution_id!r}")
    return row


def get_enterprise(session: Session, enterprise_id: str, *, viewer: Principal) -> Enterprise:
    row = session.get(Enterprise, enterprise_id)
    if row is None or not _visible(viewer, Role.enterprise, enterprise_id):
        raise NotFound(f"no enterprise {enterprise_id!r}")
    return row


def list_institutions(
    session: Session, *, after_id: str | None, limit: int
) -> tuple[list[Institution], str | None]:
    query = select(Institution).order_by(col(Institution.id))
    if after_id is not None:
        query = query.where(col(Institution.id) > after_id)
    rows = list(session.exec(query.limit(limit + 1)))
    return (rows[:limit], rows[limit - 1].id) if len(rows) > limit else (rows, None)


def list_enterprises(
    session: Session, *, after_id: str | None, limit: int
) -> tuple[list[Enterprise], str | None]:
    query = select(Enterprise).order_by(col(Enterprise.id))
    if after_id is not None:
        query = query.where(col(Enterprise.id) > after_id)
    rows = list(session.exec(query.limit(limit + 1)))
    return (rows[:limit], rows[limit - 1].id) if len(rows) > limit else (rows, None)


def _token_audit(row: ApiToken) -> dict[str, object]:
    # never the token or its hash
    return audit.snapshot(row, exclude=("token_hash",))


def issue_actor_token(
    session: Session,
    *,
    role: Role,
    actor_id: str,
    name: str,
    actor: Principal,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A token for a registered institution or enterprise (404 when it is not registered)."""
    if role is Role.institution:
        if session.get(Institution, actor_id) is None:
            raise NotFound(f"no institution {actor_id!r}")
        row, plain = auth.issue_token(
            session, role=role, name=name, now=now, institution_id=actor_id
        )
    elif role is Role.enterprise:
        if session.get(Enterprise, actor_id) is None:
            raise NotFound(f"no enterprise {actor_id!r}")
        row, plain = auth.issue_token(
            session, role=role, name=name, now=now, enterprise_id=actor_id
        )
    else:
        raise ValueError(f"issue_actor_token is for institutions and enterprises, not {role}")
    audit.record(
        session,
        actor=actor,
        now=now,
        action="issue",
        entity_type="api_token",
        entity_id=str(row.id),
        after=_token_audit(row),
    )
    return row, plain


def revoke_token(session: Session, token_id: int, *, actor: Principal, now: datetime) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        before = _token_audit(row)
        row.revoked_at = now
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            now=now,
            action="revoke",
            entity_type="api_token",
            entity_id=str(row.id),
            before=before,
            after=_token_audit(row),
        )
    return row
