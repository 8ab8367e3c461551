"""Rounds: creation with rules, windows and catalog; edits; the lifecycle (SPEC §10)."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.service import Principal
from app.catalog import service as catalog
from app.concurrency import check_if_match
from app.contracts import service as contracts
from app.demand import service as demand
from app.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidInput,
    TransitionBlocked,
    WindowClosed,
    WrongState,
)
from app.ledger import service as ledger
from app.rounds.access import load_round, require_state, rules_of, touch, validate_rules
from app.rounds.lifecycle import TRANSITIONS, RoundState, at_or_after, can_transition
from app.rounds.models import Round
from app.rounds.schemas import RoundCreate, RoundPublic, RoundUpdate, RulesSpec
from solver.catalog import generic_name_problems

S = RoundState
ENTITY = "round"
WINDOW_FIELDS = ("demand_opens_at", "demand_closes_at", "bidding_opens_at", "bidding_closes_at")


def _window_problems(r: Round) -> list[tuple[str, str]]:
    problems = []
    for kind in ("demand", "bidding"):
        opens, closes = getattr(r, f"{kind}_opens_at"), getattr(r, f"{kind}_closes_at")
        if opens is not None and closes is not None and not opens < closes:
            problems.append((f"body.{kind}_closes_at", f"must be after {kind}_opens_at"))
    if (
        r.demand_closes_at is not None
        and r.bidding_opens_at is not None
        and r.bidding_opens_at < r.demand_closes_at
    ):
        problems.append(("body.bidding_opens_at", "must not be before demand_closes_at"))
    return problems


def _snapshot(r: Round) -> dict[str, object]:
    return audit.snapshot(r, exclude=("created_at", "updated_at"))


def create_round(session: Session, *, data: RoundCreate, actor: Principal, now: datetime) -> Round:
    validate_rules(data.rules.profile, data.rules.overrides, path="body.rules")
    if session.get(Round, data.id) is not None:
        raise AlreadyExists(f"round {data.id!r} already exists", id=data.id)
    round_ = Round(
        id=data.id,
        name=data.name,
        state=S.draft,
        rules=data.rules.model_dump(mode="json"),
        agreement_start=data.agreement_start,
        created_at=now,
        updated_at=now,
        **{f: getattr(data, f) for f in WINDOW_FIELDS},
    )
    problems = _window_problems(round_)
    if problems:
        raise InvalidInput("invalid windows", problems)
    session.add(round_)
    try:
        session.flush()
    except IntegrityError:
        # created at the same time by another request (PostgreSQL: both found no round; this
        # insert waited for the other and failed on its row); the request is rolled back whole
        raise AlreadyExists(f"round {data.id!r} already exists", id=data.id) from None
    audit.record(
        session,
        actor=actor,
        now=now,
        action="create",
        entity_type=ENTITY,
        entity_id=round_.id,
        round_id=round_.id,
        after=_snapshot(round_),
    )
    if data.groups:
        catalog.add_groups(session, round_, data.groups, actor=actor, now=now)
    return round_


def to_public(session: Session, r: Round) -> RoundPublic:
    return RoundPublic(
        id=r.id,
        name=r.name,
        state=r.state,
        version=r.version,
        created_at=r.created_at,
        updated_at=r.updated_at,
        agreement_start=r.agreement_start,
        rules=RulesSpec.model_validate(r.rules),
        effective_rules=rules_of(r).model_dump(mode="json"),
        allowed_transitions=sorted(TRANSITIONS[r.state], key=list(S).index),
        groups=[catalog.to_public(g) for g in catalog.list_groups(session, r.id)],
        **{f: getattr(r, f) for f in WINDOW_FIELDS},
    )


def list_rounds(
    session: Session, *, state: RoundState | None, after_id: str | None, limit: int
) -> tuple[list[Round], str | None]:
    query = select(Round).order_by(col(Round.id))
    if state is not None:
        query = query.where(Round.state == state)
    if after_id is not None:
        query = query.where(col(Round.id) > after_id)
    rows = list(session.exec(query.limit(limit + 1)))
    return (rows[:limit], rows[limit - 1].id) if len(rows) > limit else (rows, None)


def _no_award_running(session: Session, r: Round, *, doing: str) -> None:
    """409 while an award job of the round is queued or running: it took the round as it was
    when requested, and its outcome would contradict a change made meanwhile."""
    from app.award.models import ACTIVE, AwardJob

    job = session.exec(
        select(AwardJob.id).where(AwardJob.round_id == r.id, col(AwardJob.status).in_(ACTIVE))
    ).first()
    if job is not None:
        raise WrongState(
            f"cannot {doing}: award job {job} of round {r.id} is still running on the round "
            "as it was requested; wait for it to end",
            state=r.state.value,
        )


def update_round(
    session: Session,
    *,
    round_id: str,
    data: RoundUpdate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Round:
    r = load_round(session, round_id, lock="update")
    check_if_match(if_match, r.version, what=f"round {round_id}")
    changes = data.model_dump(exclude_unset=True)
    before = _snapshot(r)
    if "rules" in changes:
        require_state(r, S.draft, doing="change the rules")
    if "agreement_start" in changes:
        # until publication: publishing needs it (contracts and standards start on it), and
        # a round imported or created without one must be able to get one then
        require_state(
            r,
            *(s for s in S if s is not S.cancelled and not at_or_after(s, S.published)),
            doing="change the agreement start",
        )
        if (
            at_or_after(r.state, S.awarded)
            and r.agreement_start is not None
            and changes["agreement_start"] != r.agreement_start
        ):
            # the award's outcome names the start: a published number must not contradict it
            raise WrongState(
                f"cannot change the agreement start: round {round_id} is {r.state.value} and "
                f"its outcome names {r.agreement_start.isoformat()}; after the award the "
                "start can only be given to a round that has none",
                state=r.state.value,
            )
        _no_award_running(session, r, doing="change the agreement start")
    if any(f.startswith("demand_") for f in changes):
        require_state(r, S.draft, S.demand_open, doing="change the demand window")
    if any(f.startswith("bidding_") for f in changes):
        require_state(
            r,
            S.draft,
            S.demand_open,
            S.demand_locked,
            S.bidding_open,
            doing="change the bidding window",
        )
        if (
            r.state is S.bidding_open
            and r.bidding_closes_at is not None
            and now >= r.bidding_closes_at
        ):
            # SPEC §5: bids after the deadline are refused. Moving a deadline that has passed
            # while bidding was open would reopen it after the fact, for whoever learns of it
            # first. (Before bidding opens no bid was taken: a late demand phase may move it.)
            raise WindowClosed(
                f"the bidding deadline of round {round_id} passed at "
                f"{r.bidding_closes_at.isoformat()}; a passed deadline cannot be moved",
                closes_at=r.bidding_closes_at.isoformat(),
            )
    if data.rules is not None:
        validate_rules(data.rules.profile, data.rules.overrides, path="body.rules")
        r.rules = data.rules.model_dump(mode="json")
        # the new rules may allow fewer groups per generic name
        catalog_groups = catalog.list_groups(session, round_id)
        problems = generic_name_problems(
            [(g.id, g.generic_names) for g in catalog_groups],
            rules_of(r).max_groups_per_generic,
        )
        if problems:
            raise InvalidInput(
                "the catalog breaks the new rules",
                [("body.rules.overrides.max_groups_per_generic", p) for p in problems],
            )
    for field in ("name", "agreement_start", *WINDOW_FIELDS):
        if field in changes:
            setattr(r, field, getattr(data, field))
    window_problems = _window_problems(r)
    if window_problems:
        raise InvalidInput("invalid windows", window_problems)
    if r.state is S.demand_open and (r.demand_opens_at is None or r.demand_closes_at is None):
        raise InvalidInput(
            "an open demand phase needs its window",
            [("body.demand_closes_at", "must not be removed while demand is open")],
        )
    touch(r, now)
    session.add(r)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="update",
        entity_type=ENTITY,
        entity_id=r.id,
        round_id=r.id,
        before=before,
        after=_snapshot(r),
    )
    return r


# -- lifecycle -------------------------------------------------------------------------------

Guard = Callable[[Session, Round, datetime], None]
Effect = Callable[..., None]


def _blocked(r: Round, to: RoundState, why: str) -> TransitionBlocked:
    return TransitionBlocked(
        r.state.value,
        to.value,
        f"round {r.id} cannot move from {r.state.value} to {to.value}: {why}",
    )


def _guard_open_demand(session: Session, r: Round, now: datetime) -> None:
    if not catalog.list_groups(session, r.id):
        raise _blocked(r, S.demand_open, "its catalog has no groups")
    if r.demand_opens_at is None or r.demand_closes_at is None:
        raise _blocked(r, S.demand_open, "set demand_opens_at and demand_closes_at first")


def _guard_lock_demand(session: Session, r: Round, now: datetime) -> None:
    if r.demand_closes_at is not None and now < r.demand_closes_at:
        raise _blocked(
            r, S.demand_locked, f"the demand window is open until {r.demand_closes_at.isoformat()}"
        )


def _guard_open_bidding(session: Session, r: Round, now: datetime) -> None:
    if r.bidding_opens_at is None or r.bidding_closes_at is None:
        raise _blocked(r, S.bidding_open, "set bidding_opens_at and bidding_closes_at first")


def _guard_open_bids(session: Session, r: Round, now: datetime) -> None:
    # SPEC §5: opening happens only after the deadline
    if r.bidding_closes_at is not None and now < r.bidding_closes_at:
        raise _blocked(r, S.bids_opened, f"bidding is open until {r.bidding_closes_at.isoformat()}")


# Preconditions and side effects of moves in the transition table (app.rounds.lifecycle).
# Effects take (session, round, now=..., actor=...) and run after the guard, in the same
# transaction, before the state changes.
GUARDS: dict[tuple[RoundState, RoundState], Guard] = {
    (S.draft, S.demand_open): _guard_open_demand,
    (S.demand_open, S.demand_locked): _guard_lock_demand,
    (S.demand_locked, S.bidding_open): _guard_open_bidding,
    (S.bidding_open, S.bids_opened): _guard_open_bids,
}
EFFECTS: dict[tuple[RoundState, RoundState], Effect] = {
    # SPEC §3: locking computes the base volumes
    (S.demand_open, S.demand_locked): demand.lock_base_volumes,
    # SPEC §9: contracts and payment standards at publication, prepayments at the start
    (S.awarded, S.published): contracts.on_publish,
    (S.published, S.in_agreement): ledger.on_agreement_start,
}


def transition(
    session: Session,
    *,
    round_id: str,
    to: RoundState,
    reason: str | None,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Round:
    r = load_round(session, round_id, lock="update")
    check_if_match(if_match, r.version, what=f"round {round_id}")
    if not can_transition(r.state, to):
        raise IllegalTransition(r.state.value, to.value)
    move = (r.state, to)
    if move in GUARDS:
        GUARDS[move](session, r, now)
    if move in EFFECTS:
        EFFECTS[move](session, r, now=now, actor=actor)
    before = {"state": r.state.value}
    r.state = to
    touch(r, now)
    session.add(r)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="transition",
        entity_type=ENTITY,
        entity_id=r.id,
        round_id=r.id,
        before=before,
        after={"state": to.value, "reason": reason},
    )
    return r
