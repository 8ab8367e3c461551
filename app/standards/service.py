"""Payment standards (医保支付标准), SPEC §9.

When a round's results are published, each awarded group's payment standard (the highest or
the lowest winning price, as the rule set's `payment_standard_basis` says; the outcome carries
it) becomes the standard of every generic name of the group, for originator, reference and
GQCE products alike; non-GQCE products of the same generic name are paid at most that. It
holds from the agreement start to the end of the group's term.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.service import Principal
from app.catalog.models import Group
from app.contracts.auditing import snapshot
from app.contracts.periods import year_ends_on
from app.rounds.access import rules_of
from app.rounds.models import Round
from app.standards.models import PaymentStandard
from solver.catalog import generic_key

ENTITY = "payment_standard"


def record_payment_standards(
    session: Session,
    round_: Round,
    outcome: Mapping[str, Any],
    *,
    now: datetime,
    actor: Principal,
) -> list[PaymentStandard]:
    assert round_.agreement_start is not None
    basis = rules_of(round_).payment_standard_basis
    catalog = {g.id: g for g in session.exec(select(Group).where(Group.round_id == round_.id))}
    rows: list[PaymentStandard] = []
    for g in outcome["groups"]:
        if g.get("payment_standard") is None:  # a failed group (流标) sets no standard
            continue
        group = catalog[g["id"]]
        for name in group.generic_names:
            row = PaymentStandard(
                round_id=round_.id,
                group_id=group.id,
                generic_name=name,
                form_family=group.form_family,
                standard=Decimal(g["payment_standard"]),
                basis=basis,
                effective_from=round_.agreement_start,
                effective_until=year_ends_on(round_.agreement_start, int(g["term_years"] or 1)),
                created_at=now,
            )
            session.add(row)
            rows.append(row)
    session.flush()
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="set",
        entity_type=ENTITY,
        round_id=round_.id,
        changes=[
            audit.Change(
                f"{r.round_id}/{r.group_id}/{r.generic_name}",
                None,
                snapshot(r, exclude=("id", "created_at")),
            )
            for r in rows
        ],
    )
    return rows


def list_standards(
    session: Session,
    *,
    generic_name: str | None,
    round_id: str | None,
    group_id: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[PaymentStandard], int | None]:
    """Standards by id; `generic_name` matches as the catalog's two-group limit does
    (`solver.catalog.generic_key`: Amlodipine is amlodipine), so it is compared here, not in
    SQL (standards are a few per group)."""
    query = select(PaymentStandard)
    if round_id is not None:
        query = query.where(col(PaymentStandard.round_id) == round_id)
    if group_id is not None:
        query = query.where(col(PaymentStandard.group_id) == group_id)
    if after_id is not None:
        query = query.where(col(PaymentStandard.id) > after_id)
    query = query.order_by(col(PaymentStandard.id))
    if generic_name is None:
        rows = list(session.exec(query.limit(limit + 1)))
    else:
        wanted = generic_key(generic_name)
        matching = (r for r in session.exec(query) if generic_key(r.generic_name) == wanted)
        rows = list(islice(matching, limit + 1))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None
