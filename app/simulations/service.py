"""What-if simulation of a round document (SPEC §11): stateless, nothing stored.

The response body is exactly `solver.engine.dumps_outcome(simulate(...))`, i.e. what
`vbp simulate FILE` prints for the same document and options (`solver.seconds` aside).
"""

from decimal import Decimal
from typing import Any, Literal

from app.errors import DomainError, InvalidInput
from app.exchange.documents import parse_document
from solver.engine import EngineError, dumps_outcome, simulate
from solver.solvers import SolverConfig

Allocation = Literal["rule", "min_cost"]
SolverName = Literal["cbc", "highs"]


class EngineFailed(DomainError):
    """The engine could not stand behind a result (e.g. the model did not solve to
    optimality within the time limit)."""

    status, slug, title = 503, "engine-failed", "The engine could not produce an outcome"


def run_simulation(
    data: Any,
    *,
    profile: str | None,
    allocation: Allocation,
    solver: SolverName,
    time_limit: float,
    max_share: Decimal | None,
) -> str:
    if max_share is not None and allocation != "min_cost":
        raise InvalidInput(
            "invalid simulation options",
            [("query.max_share", "applies to allocation=min_cost only")],
        )
    round_ = parse_document(data, profile=profile)
    try:
        outcome = simulate(
            round_,
            solver=SolverConfig(name=solver, time_limit=time_limit),
            allocation=allocation,
            max_share=max_share,
        )
    except EngineError as exc:
        raise EngineFailed(str(exc)) from None
    return dumps_outcome(outcome)
