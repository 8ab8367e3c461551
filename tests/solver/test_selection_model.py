"""The rule-mode selection MILP (SPEC §6) on CBC and HiGHS: equal to the plain reference.

Property tests batch 20–40 random groups into ONE model call per example, the way a
provincial round is solved, so thousands of groups are checked per run.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.rules import RuleSet, build_rules
from solver.selection import (
    Candidate,
    GroupInput,
    SelectionModelError,
    build_selection_model,
    rank_group,
    select_reference,
    select_with_model,
)
from solver.solvers import SolverConfig, SolveReport, solve

SOLVERS = ["cbc", "highs"]
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def cand(
    enterprise: str,
    ucp: str,
    *,
    capacity: int = 1000,
    revival: bool = False,
    reason: Any = None,
) -> Candidate:
    return Candidate(enterprise, Decimal(ucp), capacity, T0, revival, reason is None, reason)


def group(
    gid: str, *candidates: Candidate, ceiling: str = "1", family: str = "injection"
) -> GroupInput:
    return GroupInput(gid, family, Decimal(ceiling), candidates)


def config(name: str) -> SolverConfig:
    return SolverConfig(name=name, time_limit=30)  # type: ignore[arg-type]


HAND_GROUPS = [
    # all qualified, cap 2 of 3 (batch10 N=3): third over_cap
    group("A", cand("E1", "0.1000"), cand("E2", "0.1500"), cand("E3", "0.1700")),
    # revival: A 0.10 and B 0.15 qualify; C revives at 0.15; D over_cap (N = 4 → cap 3)
    group(
        "B",
        cand("A", "0.1000"),
        cand("B", "0.1500"),
        cand("C", "0.5000", revival=True),
        cand("D", "0.6000", revival=True),
    ),
    # ties on UCP broken by capacity, then enterprise id
    group(
        "C",
        cand("E9", "0.2000"),
        cand("E10", "0.2000"),
        cand("E2", "0.2000", capacity=2000),
        cand("E3", "0.3000"),
    ),
    # a failed group between awarded ones
    group("D", cand("X", "0.2000", reason="above_ceiling")),
    # one valid bid among invalid ones
    group("E", cand("Y", "0.9000"), cand("Z", "0.0100", capacity=0, reason="no_capacity")),
]


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("profile", ["batch7", "batch10", "batch11"])
def test_model_equals_reference_on_hand_groups(name: str, profile: str) -> None:
    rules = build_rules(profile)
    selections, report = select_with_model(HAND_GROUPS, rules, config(name))
    assert report.status == "optimal"
    assert selections == {g.group_id: select_reference(g, rules) for g in HAND_GROUPS}


@pytest.mark.parametrize("name", SOLVERS)
def test_revival_through_the_model(name: str) -> None:
    selections, _ = select_with_model(HAND_GROUPS, build_rules("batch10"), config(name))
    assert [(w.enterprise, w.price, w.revived) for w in selections["B"].winners] == [
        ("A", Decimal("0.1000"), False),
        ("B", Decimal("0.1500"), False),
        ("C", Decimal("0.1500"), True),
    ]
    assert [b.reason for b in selections["B"].bids] == [None, None, None, "over_cap"]


@pytest.mark.parametrize("name", SOLVERS)
def test_report_counts_one_model_for_all_groups(name: str) -> None:
    _, report = select_with_model(HAND_GROUPS, build_rules("batch7"), config(name))
    # 12 valid bids; 4 groups with valid bids → 4 cap rows; with a 1.0 ceiling (half: 0.50)
    # only group B's 0.60 fails batch7's price rule (no revival) → 1 price-rule row
    assert (report.variables, report.constraints, report.solver) == (12, 5, name)
    assert report.objective is not None and report.seconds > 0


def test_constraints_are_named_and_failed_groups_have_no_variables() -> None:
    prepared = [rank_group(g, build_rules("batch7")) for g in HAND_GROUPS]
    model = build_selection_model(prepared)
    assert model is not None
    names = [c.name for c in model.problem.constraints()]
    assert names == ["cap_g0", "cap_g1", "price_rule_g1_b3", "cap_g2", "cap_g4"]
    assert all(gi != 3 for gi, _ in model.win)
    assert sorted(v.name for v in model.problem.variables())[:2] == ["win_g0_b0", "win_g0_b1"]


@pytest.mark.parametrize("name", SOLVERS)
def test_only_failed_groups_need_no_model(name: str) -> None:
    groups = [group("D", cand("X", "0.2", reason="above_ceiling")), group("F")]
    selections, report = select_with_model(groups, build_rules("batch7"), config(name))
    assert report == SolveReport(status="no_model", seconds=0.0, solver=name)  # type: ignore[arg-type]
    assert [s.status for s in selections.values()] == ["failed", "failed"]


def test_no_groups_at_all() -> None:
    selections, report = select_with_model([], build_rules("batch7"), config("cbc"))
    assert (selections, report.status) == ({}, "no_model")


def test_duplicate_group_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate group ids: A"):
        select_with_model([HAND_GROUPS[0], HAND_GROUPS[0]], build_rules("batch7"), config("cbc"))


@pytest.mark.parametrize("status", ["feasible", "infeasible", "not_solved"])
def test_a_non_optimal_solve_is_an_error(monkeypatch: pytest.MonkeyPatch, status: Any) -> None:
    def fake_solve(problem: object, cfg: SolverConfig) -> SolveReport:
        return SolveReport(status=status, seconds=0.1, solver=cfg.name)

    monkeypatch.setattr("solver.selection.solve", fake_solve)
    with pytest.raises(SelectionModelError, match=status) as raised:
        select_with_model(HAND_GROUPS, build_rules("batch7"), config("cbc"))
    assert raised.value.report.status == status


def test_rule_mode_runs_with_a_zero_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SolverConfig] = []

    def spy(problem: Any, cfg: SolverConfig) -> SolveReport:
        seen.append(cfg)
        return solve(problem, cfg)

    monkeypatch.setattr("solver.selection.solve", spy)
    select_with_model(HAND_GROUPS, build_rules("batch7"), SolverConfig(name="highs", gap_rel=0.1))
    assert [c.gap_rel for c in seen] == [0.0]


# -- property tests --------------------------------------------------------------------------

# The same instant in two offsets, and later instants: ties on time compare as instants.
INSTANTS = [
    datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))),
    datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    datetime(2026, 12, 1, 3, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 12, 1, 2, 0, 1, tzinfo=UTC),
]
# plain-string order differs from numeric order ("E10" < "E9")
ENTERPRISES = ["E1", "E2", "E9", "E10", "E11", "A", "B", "b", "Z0", "Z1", "Q", "R", "S", "T"]
INVALID_REASONS = ["ineligible_quality", "above_ceiling", "no_capacity", "credit_barred"]


@st.composite
def group_inputs(draw: st.DrawFn, gid: str) -> GroupInput:
    """A random group with deliberate ties and prices exactly on the legs of the price rule.

    Prices are integers in units of 0.0001.  The lowest is a multiple of 5 so that 1.8 ×
    lowest falls on the 4th decimal; the ceiling is even so that half of it does too.
    """
    n = draw(st.integers(min_value=0, max_value=len(ENTERPRISES)))
    enterprises = draw(st.permutations(ENTERPRISES))[:n]
    lowest = 5 * draw(st.integers(min_value=1, max_value=600))
    ceiling = 2 * draw(st.integers(min_value=lowest, max_value=20000))
    special = [
        lowest,
        lowest * 9 // 5,  # exactly 1.8 × lowest
        lowest * 9 // 5 + 1,
        ceiling // 2,  # exactly 50 % of the ceiling
        ceiling // 2 + 1,
        1000,  # exactly the 0.10 floor
        1001,
        ceiling,
    ]
    candidates = []
    for i, enterprise in enumerate(enterprises):
        reason = draw(st.sampled_from([None] * 6 + INVALID_REASONS))
        if i == 0 and reason is None:
            units = lowest  # keep `lowest` the lowest valid UCP, usually
        else:
            units = draw(
                st.one_of(
                    st.sampled_from(special),
                    st.integers(min_value=lowest, max_value=ceiling),
                    st.integers(min_value=1, max_value=ceiling),
                )
            )
        candidates.append(
            Candidate(
                enterprise=enterprise,
                ucp=Decimal(units).scaleb(-4),
                capacity=draw(st.sampled_from([100, 200, 200, 300])),
                submitted_at=draw(st.sampled_from(INSTANTS)),
                accept_revival=draw(st.booleans()),
                valid=reason is None,
                reason=reason,
            )
        )
    family = draw(st.sampled_from(["oral_regular", "oral_sustained", "injection"]))
    return GroupInput(gid, family, Decimal(ceiling).scaleb(-4), tuple(candidates))


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    profile = draw(st.sampled_from(["batch7", "batch10", "batch11"]))
    overrides: dict[str, Any] = {}
    if draw(st.booleans()):
        overrides["winner_cap_table"] = draw(
            st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=6)
        )
    if draw(st.booleans()):
        overrides["spread_multiplier"] = draw(st.sampled_from(["1", "1.5", "1.8", "2"]))
    if draw(st.booleans()):
        overrides["revival"] = draw(st.booleans())
    return build_rules(profile, overrides)


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[GroupInput], RuleSet, str]:
    size = draw(st.integers(min_value=20, max_value=40))
    groups = [draw(group_inputs(f"G{i:02d}")) for i in range(size)]
    return groups, draw(rule_sets()), draw(st.sampled_from(SOLVERS))


PROPERTY_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY_SETTINGS
@given(rounds())
def test_model_equals_reference(case: tuple[list[GroupInput], RuleSet, str]) -> None:
    groups, rules, name = case
    selections, report = select_with_model(groups, rules, config(name))
    assert report.status in ("optimal", "no_model")
    for g in groups:
        assert selections[g.group_id] == select_reference(g, rules), g.group_id


@PROPERTY_SETTINGS
@given(rounds())
def test_winners_respect_cap_and_price_rule(case: tuple[list[GroupInput], RuleSet, str]) -> None:
    groups, rules, name = case
    selections, _ = select_with_model(groups, rules, config(name))
    for g in groups:
        sel = selections[g.group_id]
        revival_ok = {c.enterprise for c in g.candidates if c.accept_revival and rules.revival}
        results = {b.enterprise: b for b in sel.bids}
        assert len(sel.winners) <= sel.winner_cap == rules.winner_cap(sel.valid_bidders)
        assert [w.rank for w in sel.winners] == list(range(1, len(sel.winners) + 1))
        qualified_prices = [w.price for w in sel.winners if not w.revived]
        for w in sel.winners:
            bid = results[w.enterprise]
            assert bid.valid and bid.reason is None
            assert bid.qualified or w.enterprise in revival_ok
            assert w.revived is not bid.qualified
            assert w.price == (max(qualified_prices) if w.revived else bid.ucp)
        # qualified winners come before revived ones
        assert [w.revived for w in sel.winners] == sorted(w.revived for w in sel.winners)
