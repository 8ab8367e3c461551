"""Credit ratings (医药价格和招采信用评价), SPEC §9, and the bar they impose on bids.

The bureau rates an enterprise general, moderate, serious or particularly serious, with a
reason and evidence, on a day (`rated_on`, not in the future). Ratings are kept, never changed:
the history is the record. The enterprise's `credit_level` follows its latest rating.

A rating of a level the round's rule set bars (`barred_credit_levels`, default serious and
particularly serious) bars the enterprise's bids in every round that opens for bidding during
the bar, rated_on ≤ opening day < rated_on + bar_months[level] (`solver.agreement.is_barred`).
An enterprise without ratings is judged by the credit level it was registered (or imported)
with, which carries no date and so bars for as long as it stands.

For bid submission and the engine:
- `is_barred_in_round(session, enterprise_id, round_)`: the check at submission (the round's
  opening day and rule set; `is_enterprise_barred(session, enterprise_id, on=…, rules=…)`
  underneath). A caller that read the enterprise's `CreditFacts` in a query of its own (see
  `has_ratings`) passes them, and an enterprise without ratings costs no more queries;
- `credit_level_in_round(session, enterprise_id, round_)`: the `credit_level` to put in the
  round's document, so that the engine bars exactly the enterprises barred here
  (`document_credit_level(session, enterprise_id, on=…, rules=…)` underneath).
"""

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from app.actors.models import CreditLevel, Enterprise
from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import Principal
from app.contracts.auditing import plain, snapshot
from app.contracts.periods import local_date
from app.credit.models import CreditRating
from app.credit.schemas import CreditHistory, RatingCreate, RatingPublic
from app.errors import InvalidInput, NotFound
from app.rounds.access import rules_of
from app.rounds.models import Round
from solver.agreement import bar_until, is_barred
from solver.rules import CreditLevel as SolverCreditLevel
from solver.rules import RuleSet, build_rules

ENTITY = "credit_rating"


def _default_rules() -> RuleSet:
    return build_rules()


def rate_enterprise(
    session: Session, *, enterprise_id: str, data: RatingCreate, actor: Principal, now: datetime
) -> CreditRating:
    enterprise = session.get(Enterprise, enterprise_id, with_for_update=True)
    if enterprise is None:
        raise NotFound(f"no enterprise {enterprise_id!r}")
    today = local_date(now)
    rated_on = data.rated_on or today
    if rated_on > today:
        raise InvalidInput(
            "invalid rating",
            [("body.rated_on", f"must not be in the future (today is {today.isoformat()})")],
        )
    row = CreditRating(
        enterprise_id=enterprise_id,
        level=data.level,
        reason=data.reason,
        evidence=list(data.evidence),
        rated_on=rated_on,
        bar_until=bar_until(data.level.value, rated_on, _default_rules()),
        rated_by=actor.token_name,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    audit.record(
        session,
        actor=actor,
        now=now,
        action="rate",
        entity_type=ENTITY,
        entity_id=str(row.id),
        after=snapshot(row, exclude=("created_at",)),
    )
    latest = _history(session, enterprise_id)[0]
    if enterprise.credit_level != latest.level:
        before = plain({"credit_level": enterprise.credit_level})
        enterprise.credit_level = latest.level
        session.add(enterprise)
        session.flush()
        audit.record(
            session,
            actor=actor,
            now=now,
            action="update",
            entity_type="enterprise",
            entity_id=enterprise_id,
            before=before,
            after=plain({"credit_level": latest.level, "credit_rating_id": latest.id}),
        )
    return row


def _history(session: Session, enterprise_id: str) -> list[CreditRating]:
    """Newest first: by rating day, then by the order they were recorded."""
    return list(
        session.exec(
            select(CreditRating)
            .where(CreditRating.enterprise_id == enterprise_id)
            .order_by(col(CreditRating.rated_on).desc(), col(CreditRating.id).desc())
        )
    )


def credit_history(
    session: Session, *, enterprise_id: str, viewer: Principal, now: datetime
) -> CreditHistory:
    """The bureau reads any enterprise's history; an enterprise only its own."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or (viewer.role is not Role.bureau and viewer.actor_id != enterprise_id):
        raise NotFound(f"no enterprise {enterprise_id!r}")
    ratings = _history(session, enterprise_id)
    today = local_date(now)
    rules = _default_rules()
    bars = [
        until
        for r in ratings
        if (until := bar_until(r.level.value, r.rated_on, rules)) is not None
        and r.rated_on <= today < until
    ]
    return CreditHistory(
        enterprise_id=enterprise_id,
        current_level=enterprise.credit_level,
        barred_today=is_enterprise_barred(session, enterprise_id, on=today, rules=rules),
        barred_until=max(bars) if bars else None,
        ratings=[RatingPublic.model_validate(r) for r in ratings],
    )


def list_ratings(
    session: Session,
    *,
    level: CreditLevel | None,
    enterprise_id: str | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[CreditRating], int | None]:
    query = select(CreditRating)
    if level is not None:
        query = query.where(col(CreditRating.level) == level)
    if enterprise_id is not None:
        query = query.where(col(CreditRating.enterprise_id) == enterprise_id)
    if after_id is not None:
        query = query.where(col(CreditRating.id) > after_id)
    rows = list(session.exec(query.order_by(col(CreditRating.id)).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


# -- the bar ----------------------------------------------------------------------------------


def round_opens_on(round_: Round) -> date | None:
    """The day the round opens for bidding (China Standard Time), None if not scheduled."""
    return local_date(round_.bidding_opens_at) if round_.bidding_opens_at is not None else None


class CreditFacts(NamedTuple):
    """What decides a bar for an enterprise, as a caller read it: its registered level and
    whether it has any ratings (without them, the registered level alone decides)."""

    registered_level: str | None
    has_ratings: bool


def has_ratings(enterprise_id: ColumnElement[Any] | Mapped[str]) -> ColumnElement[bool]:
    """`EXISTS` a rating of the enterprise `enterprise_id` names, for a caller's own query."""
    return exists().where(col(CreditRating.enterprise_id) == enterprise_id)


def _barred_by_registration(level: str | None, rules: RuleSet) -> bool:
    return level in rules.barred_credit_levels


def is_enterprise_barred(
    session: Session, enterprise_id: str, on: date, rules: RuleSet | None = None
) -> bool:
    """SPEC §9: whether the enterprise's credit bars its bids in a round that opens for
    bidding on `on`, under `rules` (the round's rule set; default: the default rule set)."""
    rules = rules or _default_rules()
    history = _history(session, enterprise_id)
    if not history:
        return _barred_by_registration(_registered_level(session, enterprise_id), rules)
    ratings: list[tuple[SolverCreditLevel, date]] = [
        (r.level.value, r.rated_on) for r in history if r.rated_on <= on
    ]
    return is_barred(ratings, on, rules)


def _registered_level(session: Session, enterprise_id: str) -> str | None:
    """The level an enterprise was registered or imported with (no ratings yet)."""
    enterprise = session.get(Enterprise, enterprise_id)
    return enterprise.credit_level.value if enterprise and enterprise.credit_level else None


def document_credit_level(
    session: Session, enterprise_id: str, on: date, rules: RuleSet | None = None
) -> str | None:
    """The `credit_level` of the enterprise in a round document of a round that opens for
    bidding on `on`: a barring level when the enterprise is barred that day, else the latest
    non-barring level (general, moderate), else null. The engine bars a document's serious
    and particularly serious levels, so it then bars exactly whom `is_enterprise_barred` bars.
    """
    rules = rules or _default_rules()
    history = _history(session, enterprise_id)
    if not history:
        return _registered_level(session, enterprise_id)
    ratings = [r for r in history if r.rated_on <= on]
    barring = [
        r.level.value
        for r in ratings
        if (until := bar_until(r.level.value, r.rated_on, rules)) is not None and on < until
    ]
    if barring:
        return "particularly_serious" if "particularly_serious" in barring else barring[0]
    if not ratings:
        return None
    latest = ratings[0].level.value
    return latest if latest not in rules.barred_credit_levels else None


# -- one-line wiring for a stored round -------------------------------------------------------


def bar_day(round_: Round) -> date:
    """The day a round's bar is judged on: the day it opens for bidding (China Standard
    Time); for a round without a bidding window (an imported document), the day it was
    created."""
    return round_opens_on(round_) or local_date(round_.created_at)


def is_barred_in_round(
    session: Session, enterprise_id: str, round_: Round, facts: CreditFacts | None = None
) -> bool:
    """`is_enterprise_barred` for a bid in `round_`, under the round's rule set; with `facts`
    of an enterprise without ratings, no query."""
    rules = rules_of(round_)
    if facts is not None and not facts.has_ratings:
        return _barred_by_registration(facts.registered_level, rules)
    return is_enterprise_barred(session, enterprise_id, on=bar_day(round_), rules=rules)


def credit_level_in_round(session: Session, enterprise_id: str, round_: Round) -> str | None:
    """`document_credit_level` for the round document of `round_`, under its rule set."""
    return document_credit_level(session, enterprise_id, on=bar_day(round_), rules=rules_of(round_))
