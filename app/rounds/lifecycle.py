"""Round states and the one transition table (SPEC §10).

draft → demand_open → demand_locked → bidding_open → bids_opened → awarded → published →
in_agreement → closed, plus cancelled from any state before published. This module is pure:
the side effects and guards of a transition (base volumes at locking, "opening only after the
deadline", …) live in `app.rounds.service`.
"""

from enum import StrEnum


class RoundState(StrEnum):
    draft = "draft"
    demand_open = "demand_open"
    demand_locked = "demand_locked"
    bidding_open = "bidding_open"
    bids_opened = "bids_opened"
    awarded = "awarded"
    published = "published"
    in_agreement = "in_agreement"
    closed = "closed"
    cancelled = "cancelled"


S = RoundState

# The main line, in order.
MAIN_LINE: tuple[RoundState, ...] = (
    S.draft,
    S.demand_open,
    S.demand_locked,
    S.bidding_open,
    S.bids_opened,
    S.awarded,
    S.published,
    S.in_agreement,
    S.closed,
)

_CANCELLABLE = frozenset(MAIN_LINE[: MAIN_LINE.index(S.published)])

TRANSITIONS: dict[RoundState, frozenset[RoundState]] = {
    state: frozenset(
        ({MAIN_LINE[i + 1]} if i + 1 < len(MAIN_LINE) else set())
        | ({S.cancelled} if state in _CANCELLABLE else set())
    )
    for i, state in enumerate(MAIN_LINE)
} | {S.cancelled: frozenset()}


def can_transition(from_state: RoundState, to_state: RoundState) -> bool:
    return to_state in TRANSITIONS[from_state]


def at_or_after(state: RoundState, milestone: RoundState) -> bool:
    """Whether `state` is `milestone` or later on the main line (cancelled is never)."""
    if state is S.cancelled:
        return False
    return MAIN_LINE.index(state) >= MAIN_LINE.index(milestone)
