"""The one place the agreement period reads a round's award: its stored outcome.

The outcome is the JSON of ROUND_DOCUMENT.md ("Outcome"): `groups[]` (winners with prices,
term_years, payment_standard), `allocations[]` (institution × group × winner, volume, role,
price, amount) and `regions[]` (primary and backup supplier per group and region). The award
job stores its canonical text (app.award.models.RoundOutcome); everything here depends only
on that format.
"""

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.award.models import RoundOutcome
from app.errors import Conflict


class NoOutcome(Conflict):
    slug, title = "no-outcome", "The round has no stored outcome"


def load_outcome(session: Session, round_id: str) -> Mapping[str, Any]:
    """The stored outcome of the round's award; 409 `no-outcome` when there is none."""
    row = session.get(RoundOutcome, round_id)
    if row is None:
        raise NoOutcome(f"round {round_id} has no stored outcome; run the award first")
    outcome: dict[str, Any] = json.loads(row.outcome)
    return outcome
