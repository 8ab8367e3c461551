"""Loading a round for a service: 404 when missing, row locks for writers, its rule set."""

from datetime import datetime
from typing import Literal

from sqlmodel import Session, select

from app.errors import InvalidInput, NotFound, WindowClosed, WrongState
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from solver.errors import DocumentError
from solver.rules import RuleSet, build_rules

Lock = Literal["share", "update"] | None


def load_round(session: Session, round_id: str, *, lock: Lock = None) -> Round:
    """The round, or 404. `lock="update"` for changes of the round itself (transitions,
    catalog edits); `lock="share"` for writes that depend on its state (demand reports), so a
    transition waits for them and they wait for it. (SQLite serialises writers anyway.)"""
    query = select(Round).where(Round.id == round_id)
    if lock is not None:
        # populate_existing: another transaction may have changed it while we waited
        query = query.with_for_update(read=lock == "share").execution_options(
            populate_existing=True
        )
    row = session.exec(query).one_or_none()
    if row is None:
        raise NotFound(f"no round {round_id!r}")
    return row


def require_state(round_: Round, *states: RoundState, doing: str) -> None:
    if round_.state not in states:
        allowed = " or ".join(s.value for s in states)
        raise WrongState(
            f"cannot {doing}: round {round_.id} is in state {round_.state.value}, not {allowed}",
            state=round_.state.value,
        )


def touch(round_: Round, now: datetime) -> None:
    """Record a change of the round or its catalog (a new ETag)."""
    round_.version += 1
    round_.updated_at = now


def rules_of(round_: Round, *, path: str = "rules") -> RuleSet:
    """The round's rule set (validated when stored, so this only fails on a bug)."""
    return build_rules(
        round_.rules.get("profile", "batch7"), round_.rules.get("overrides") or {}, path=path
    )


def validate_rules(profile: str, overrides: dict[str, object], *, path: str) -> RuleSet:
    try:
        return build_rules(profile, overrides, path=path)
    except DocumentError as exc:
        raise InvalidInput("invalid rule set", list(exc.problems)) from None


def check_window(
    r: Round,
    now: datetime,
    *,
    state: RoundState,
    opens_at: datetime | None,
    closes_at: datetime | None,
    what: str,
    late: str = "",
) -> None:
    """SPEC §5, §10: `what` (demand reports, bids) only while the round is in `state` and the
    clock is inside the window [opens_at, closes_at); otherwise 409 saying why."""
    if r.state is not state:
        raise WindowClosed(
            f"round {r.id} takes no {what} in state {r.state.value}; {what} are accepted only "
            f"while it is {state.value}",
            state=r.state.value,
        )
    if opens_at is not None and now < opens_at:
        raise WindowClosed(
            f"the {what} window of round {r.id} opens at {opens_at.isoformat()}",
            opens_at=opens_at.isoformat(),
        )
    if closes_at is not None and now >= closes_at:
        raise WindowClosed(
            f"the {what} window of round {r.id} closed at {closes_at.isoformat()}{late}",
            closes_at=closes_at.isoformat(),
        )
