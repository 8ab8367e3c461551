"""Solver objects and status mapping (PuLP over CBC or HiGHS).

The solver is always passed in: callers build a `SolverConfig`, the models call `solve()`.
Results are read only after checking both PuLP's `status` and `sol_status` (a time-limited CBC
run reports `Optimal` with only an integer-feasible solution).
"""

from dataclasses import dataclass
from typing import Literal

SolverName = Literal["cbc", "highs"]
SolveStatus = Literal["optimal", "feasible", "infeasible", "unbounded", "not_solved", "no_model"]


@dataclass(frozen=True)
class SolverConfig:
    name: SolverName = "cbc"
    time_limit: float = 60.0
    threads: int | None = None
    msg: bool = False


@dataclass(frozen=True)
class SolveReport:
    """What one solve did: the typed status, the objective and the wall seconds."""

    status: SolveStatus
    seconds: float
    objective: float | None = None
    solver: SolverName = "cbc"
    variables: int = 0
    constraints: int = 0


def make_solver(config: SolverConfig) -> object:
    raise NotImplementedError


def solve(problem: object, config: SolverConfig) -> SolveReport:
    raise NotImplementedError


def combine(reports: list[SolveReport]) -> SolveReport:
    """The worst status and the summed seconds of several solves (for the outcome's `solver`)."""
    raise NotImplementedError
