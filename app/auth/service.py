"""Issuing and checking bearer tokens.

A token is `vbp_` + 43 URL-safe characters (256 random bits); only its SHA-256 is stored, so
a plain hash is enough (no salt or slow hash needed for a high-entropy secret).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.auth.models import ApiToken, Role

TOKEN_PREFIX = "vbp_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role, the actor (institution or enterprise id; None for the
    bureau) and the token used."""

    role: Role
    actor_id: str | None
    token_id: int
    token_name: str

    @property
    def subject(self) -> str:
        """The actor as one string: 'bureau', 'institution:H001', 'enterprise:E01'."""
        return self.role.value if self.actor_id is None else f"{self.role.value}:{self.actor_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    *,
    role: Role,
    name: str,
    now: datetime,
    institution_id: str | None = None,
    enterprise_id: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the actor; returns the stored row and the plain token (shown once)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=hash_token(plain),
        role=role,
        name=name,
        institution_id=institution_id,
        enterprise_id=enterprise_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, plain


# Built once: this runs on every request. The columns, not the ORM row.
_BY_HASH = core_select(
    col(ApiToken.id),
    col(ApiToken.role),
    col(ApiToken.institution_id),
    col(ApiToken.enterprise_id),
    col(ApiToken.name),
    col(ApiToken.revoked_at),
).where(col(ApiToken.token_hash) == bindparam("token_hash"))


def authenticate(session: Session, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.connection().execute(_BY_HASH, {"token_hash": hash_token(token)}).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    actor = row.institution_id if row.role is Role.institution else row.enterprise_id
    return Principal(role=row.role, actor_id=actor, token_id=row.id, token_name=row.name)
