"""Solver objects, status mapping and report combination, on CBC and HiGHS (tiny instances)."""

import warnings
from typing import Any

import pulp
import pytest

from solver.solvers import (
    SolverConfig,
    SolveReport,
    SolveStatus,
    combine,
    make_solver,
    solve,
    status_from_pulp,
)

SOLVERS = ["cbc", "highs"]


def knapsack() -> pulp.LpProblem:
    """max 5a + 4b + 3c, 2a + 3b + c ≤ 4 over binaries: a = c = 1, objective 8."""
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = problem.add_variable_dict("x", ["a", "b", "c"], cat=pulp.LpBinary)
    problem.addConstraint(2 * x["a"] + 3 * x["b"] + x["c"] <= 4, name="weight")
    problem.setObjective(pulp.lpSum([5 * x["a"], 4 * x["b"], 3 * x["c"]]))
    return problem


def infeasible() -> pulp.LpProblem:
    """Two binaries cannot sum to 3."""
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    x = problem.add_variable_dict("x", ["a", "b"], cat=pulp.LpBinary)
    problem.addConstraint(x["a"] + x["b"] >= 3, name="too_many")
    problem.setObjective(pulp.lpSum([x["a"], x["b"]]))
    return problem


@pytest.mark.parametrize(
    ("name", "solver_class"), [("cbc", pulp.PULP_CBC_CMD), ("highs", pulp.HiGHS)]
)
def test_make_solver_builds_the_named_solver(name: str, solver_class: Any) -> None:
    config = SolverConfig(name=name, time_limit=7.5, threads=2, msg=False)  # type: ignore[arg-type]
    solver = make_solver(config)
    assert isinstance(solver, solver_class)
    assert (solver.timeLimit, solver.msg) == (7.5, False)
    # CBC keeps its options in optionsDict; HiGHS has attributes
    threads = solver.optionsDict.get("threads") if name == "cbc" else solver.threads
    assert threads == 2


def test_make_solver_does_not_warn_about_the_bundled_cbc() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_solver(SolverConfig(name="cbc"))


@pytest.mark.parametrize(
    "kwargs",
    [{"name": "gurobi"}, {"time_limit": 0}, {"threads": 0}, {"gap_rel": 1.0}, {"gap_rel": -0.1}],
)
def test_bad_solver_config_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SolverConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", SOLVERS)
def test_solve_optimal(name: str) -> None:
    problem = knapsack()
    report = solve(problem, SolverConfig(name=name))  # type: ignore[arg-type]
    assert (report.status, report.objective, report.solver) == ("optimal", 8.0, name)
    assert (report.variables, report.constraints) == (3, 1)
    assert report.seconds > 0
    assert {v.name: v.varValue for v in problem.variables()} == {"x_a": 1, "x_b": 0, "x_c": 1}


@pytest.mark.parametrize("name", SOLVERS)
def test_solve_infeasible(name: str) -> None:
    report = solve(infeasible(), SolverConfig(name=name))  # type: ignore[arg-type]
    assert (report.status, report.objective) == ("infeasible", None)


@pytest.mark.parametrize(
    ("status", "sol_status", "expected"),
    [
        (pulp.LpStatusOptimal, pulp.LpSolutionOptimal, "optimal"),
        # a time-limited run: "Optimal" status with only an integer-feasible solution
        (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible, "feasible"),
        (pulp.LpStatusOptimal, pulp.LpSolutionNoSolutionFound, "not_solved"),
        (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible, "infeasible"),
        (pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded, "unbounded"),
        (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound, "not_solved"),
        (pulp.LpStatusUndefined, pulp.LpSolutionInfeasible, "not_solved"),
    ],
)
def test_status_mapping(status: int, sol_status: int, expected: str) -> None:
    assert status_from_pulp(status, sol_status) == expected


def report(status: SolveStatus, seconds: float, objective: float | None = 1.0) -> SolveReport:
    return SolveReport(status=status, seconds=seconds, objective=objective, variables=2)


def test_combine_nothing_is_no_model() -> None:
    assert combine([]) == SolveReport(status="no_model", seconds=0.0)


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["optimal", "optimal"], "optimal"),
        (["no_model", "optimal"], "optimal"),
        (["optimal", "feasible"], "feasible"),
        (["feasible", "not_solved"], "not_solved"),
        (["unbounded", "not_solved"], "unbounded"),
        (["infeasible", "unbounded", "optimal"], "infeasible"),
        (["no_model", "no_model"], "no_model"),
    ],
)
def test_combine_reports_the_worst_status(statuses: list[SolveStatus], worst: str) -> None:
    assert combine([report(s, 0.5) for s in statuses]).status == worst


def test_combine_sums_seconds_objectives_and_sizes() -> None:
    combined = combine([report("optimal", 0.25, 3.0), report("feasible", 0.5, 4.0)])
    assert (combined.seconds, combined.objective, combined.variables) == (0.75, 7.0, 4)


def test_combine_objective_is_none_when_a_solve_has_none() -> None:
    combined = combine([report("optimal", 0.25, 3.0), report("infeasible", 0.5, None)])
    assert combined.objective is None


def test_combine_ignores_no_model_objectives() -> None:
    combined = combine([report("no_model", 0.0, None), report("optimal", 0.5, 4.0)])
    assert combined.objective == 4.0
