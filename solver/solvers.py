"""Solver objects and status mapping (PuLP over CBC or HiGHS).

The solver is always passed in: callers build a `SolverConfig`, the models call `solve()`.
Results are read only after checking both PuLP's `status` and `sol_status` (a time-limited CBC
run reports `Optimal` with only an integer-feasible solution).
"""

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import pulp

SolverName = Literal["cbc", "highs"]
SolveStatus = Literal["optimal", "feasible", "infeasible", "unbounded", "not_solved", "no_model"]

# Worst last: `combine` reports the worst status of several solves.  "no_model" (nothing to
# solve) is the best; a definitive "infeasible" the worst.
_SEVERITY: dict[SolveStatus, int] = {
    "no_model": 0,
    "optimal": 1,
    "feasible": 2,
    "not_solved": 3,
    "unbounded": 4,
    "infeasible": 5,
}


@dataclass(frozen=True)
class SolverConfig:
    name: SolverName = "cbc"
    time_limit: float = 60.0
    threads: int | None = None
    msg: bool = False
    # Relative MIP gap at which the solver may stop; None keeps the solver's default
    # (HiGHS: 1e-4).  Rule-mode models set 0 so that "optimal" means the rule outcome.
    gap_rel: float | None = None

    def __post_init__(self) -> None:
        if self.name not in ("cbc", "highs"):
            raise ValueError(f"unknown solver {self.name!r}; use 'cbc' or 'highs'")
        if not self.time_limit > 0:
            raise ValueError(f"time_limit must be positive, got {self.time_limit}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        if self.gap_rel is not None and not 0 <= self.gap_rel < 1:
            raise ValueError(f"gap_rel must be in [0, 1), got {self.gap_rel}")


@dataclass(frozen=True)
class SolveReport:
    """What one solve did: the typed status, the objective and the wall seconds."""

    status: SolveStatus
    seconds: float
    objective: float | None = None
    solver: SolverName = "cbc"
    variables: int = 0
    constraints: int = 0


def make_solver(config: SolverConfig) -> pulp.LpSolver:
    """The PuLP solver object for `config` (never a default solver)."""
    if config.name == "highs":
        return pulp.HiGHS(
            msg=config.msg,
            timeLimit=config.time_limit,
            threads=config.threads,
            gapRel=config.gap_rel,
        )
    with warnings.catch_warnings():
        # PuLP 3.3 announces that the bundled CBC moves to a separate package in PuLP 4; the
        # bundled binary is the CBC this project pins.  Only that one warning is silenced.
        warnings.filterwarnings(
            "ignore", message="PULP_CBC_CMD is deprecated", category=DeprecationWarning
        )
        return pulp.PULP_CBC_CMD(
            msg=config.msg,
            timeLimit=config.time_limit,
            threads=config.threads,
            gapRel=config.gap_rel,
        )


def status_from_pulp(status: int, sol_status: int) -> SolveStatus:
    """Map PuLP's (status, sol_status) pair to the typed status.

    `Optimal` with an integer-feasible solution is what a solver stopped by its time limit
    reports: "feasible", not "optimal".
    """
    if status == pulp.LpStatusOptimal:
        if sol_status == pulp.LpSolutionOptimal:
            return "optimal"
        if sol_status == pulp.LpSolutionIntegerFeasible:
            return "feasible"
        return "not_solved"
    if status == pulp.LpStatusInfeasible:
        return "infeasible"
    if status == pulp.LpStatusUnbounded:
        return "unbounded"
    return "not_solved"


@contextlib.contextmanager
def _quiet_stdout(active: bool) -> Iterator[None]:
    """HiGHS prints its banner on the process's stdout (file descriptor 1) even with msg off,
    which would corrupt `vbp simulate`'s JSON: point descriptor 1 at /dev/null meanwhile."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def solve(problem: pulp.LpProblem, config: SolverConfig) -> SolveReport:
    """Solve `problem` in place with the solver `config` names; time it; type its status.

    Variable values are meaningful only when the status is "optimal" or "feasible".
    """
    solver = make_solver(config)
    started = time.perf_counter()
    with _quiet_stdout(config.name == "highs" and not config.msg):
        problem.solve(solver)
    seconds = time.perf_counter() - started
    status = status_from_pulp(int(problem.status), int(problem.sol_status))
    objective: float | None = None
    if status in ("optimal", "feasible") and problem.objective is not None:
        raw = pulp.value(problem.objective)
        objective = None if raw is None else float(raw)
    return SolveReport(
        status=status,
        seconds=seconds,
        objective=objective,
        solver=config.name,
        variables=int(problem.numVariables()),
        constraints=int(problem.numConstraints()),
    )


def combine(reports: Sequence[SolveReport]) -> SolveReport:
    """The worst status and the summed seconds of several solves (for the outcome's `solver`).

    Objectives add up when every solve that had a model has one; variables and constraints add
    up.  No report at all is "no_model" in 0 s.
    """
    if not reports:
        return SolveReport(status="no_model", seconds=0.0)
    worst = max(reports, key=lambda r: _SEVERITY[r.status])
    objectives = [r.objective for r in reports if r.status != "no_model"]
    return SolveReport(
        status=worst.status,
        seconds=sum(r.seconds for r in reports),
        objective=None
        if not objectives or any(o is None for o in objectives)
        else sum(o for o in objectives if o is not None),
        solver=worst.solver,
        variables=sum(r.variables for r in reports),
        constraints=sum(r.constraints for r in reports),
    )
