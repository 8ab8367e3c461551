"""SPEC §8.5 what-if allocation by minimum cost: the transportation LP, on CBC and HiGHS."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solver.allocation as allocation_module
from solver.allocation import (
    InstitutionVolume,
    RegionRow,
    UnallocatedRegion,
    WinnerSupply,
    allocate_by_rule,
    allocate_min_cost,
    allocation_cost,
    build_min_cost_model,
)
from solver.solvers import SolverConfig, SolveReport

SOLVERS = ["cbc", "highs"]


def inst(institution, region, volume, preferred=None):
    return InstitutionVolume(institution, region, volume, preferred)


def winner(enterprise, rank, capacity, price):
    return WinnerSupply(enterprise, rank, Decimal(price), capacity)


def rows_of(allocation):
    return [(r.institution, r.enterprise, r.volume, r.role) for r in allocation.rows]


@pytest.fixture(params=SOLVERS)
def config(request):
    return SolverConfig(name=request.param, time_limit=60)


# ----------------------------------------------------------------------------- hand-checked


def test_cheapest_winner_fills_first_and_an_institution_may_be_split(config):
    # E1 (0.10, 150) fills first: DL's H4 prefers it (30), then node order KM (H2 50),
    # QJ (H3 70 of 80).  The 0.12 level carries 110: E2 first toward H1, who prefers it (100);
    # E3 the last 10 of H3.  Cost 150 × 0.10 + 110 × 0.12 = 28.20.
    groups = {
        "G": (
            [
                inst("H1", "KM", 100, "E2"),
                inst("H2", "KM", 50),
                inst("H3", "QJ", 80),
                inst("H4", "DL", 30, "E1"),
                inst("H5", "DL", 0),
            ],
            [
                winner("E1", 1, 150, "0.1000"),
                winner("E2", 2, 100, "0.1200"),
                winner("E3", 3, 100, "0.1200"),
            ],
        )
    }
    result, report = allocate_min_cost(groups, config)
    assert report.status == "optimal"
    assert report.objective == pytest.approx(28.2)
    alloc = result["G"]
    assert rows_of(alloc) == [
        ("H1", "E2", 100, "optimised"),
        ("H2", "E1", 50, "optimised"),
        ("H3", "E1", 70, "optimised"),
        ("H3", "E3", 10, "optimised"),
        ("H4", "E1", 30, "optimised"),
    ]
    assert alloc.regions == (
        RegionRow("DL", "E1", "E2"),
        RegionRow("KM", "E2", "E1"),  # E2 carries 100 of KM's 150
        RegionRow("QJ", "E1", "E2"),
    )
    assert alloc.unallocated_volume == 0
    assert allocation_cost(alloc, groups["G"][1]) == Decimal("28.2000")


def test_equal_prices_serve_the_preferred_winner(config):
    groups = {
        "G": (
            [inst("H1", "KM", 100, "E2"), inst("H2", "KM", 50)],
            [winner("E1", 1, 1000, "0.1000"), winner("E2", 2, 1000, "0.1000")],
        )
    }
    result, _ = allocate_min_cost(groups, config)
    assert rows_of(result["G"]) == [("H1", "E2", 100, "optimised"), ("H2", "E1", 50, "optimised")]
    assert result["G"].regions == (RegionRow("KM", "E2", "E1"),)


def test_price_beats_preference(config):
    groups = {
        "G": (
            [inst("H1", "KM", 100, "E2")],
            [winner("E1", 1, 1000, "0.1000"), winner("E2", 2, 1000, "0.1001")],
        )
    }
    result, _ = allocate_min_cost(groups, config)
    assert rows_of(result["G"]) == [("H1", "E1", 100, "optimised")]


def test_equal_cost_without_preference_goes_to_the_better_winner_number(config):
    groups = {
        "G": (
            [inst("H1", "KM", 100)],
            [winner("E1", 1, 1000, "0.1000"), winner("E2", 2, 1000, "0.1000")],
        )
    }
    result, _ = allocate_min_cost(groups, config)
    assert rows_of(result["G"]) == [("H1", "E1", 100, "optimised")]


def test_max_share_caps_each_winner(config):
    # 70 % of 100 = 70 to E1 at 0.10, the other 30 to E2 at 0.20: 7.00 + 6.00.
    groups = {
        "G": (
            [inst("H1", "KM", 60), inst("H2", "KM", 40)],
            [winner("E1", 1, 1000, "0.1000"), winner("E2", 2, 1000, "0.2000")],
        )
    }
    result, report = allocate_min_cost(groups, config, max_share=Decimal("0.7"))
    assert rows_of(result["G"]) == [
        ("H1", "E1", 60, "optimised"),
        ("H2", "E1", 10, "optimised"),
        ("H2", "E2", 30, "optimised"),
    ]
    assert report.objective == pytest.approx(13.0)


def test_max_share_rounds_down_and_can_leave_volume_unallocated(config):
    # One winner, at most 0.333 × 100 = 33.3 -> 33 units.
    groups = {"G": ([inst("H1", "KM", 100)], [winner("E1", 1, 1000, "0.1000")])}
    result, _ = allocate_min_cost(groups, config, max_share=Decimal("0.333"))
    alloc = result["G"]
    assert rows_of(alloc) == [("H1", "E1", 33, "optimised")]
    assert alloc.unallocated_volume == 67
    assert "at most 0.333 of the group's agreed volume" in alloc.unallocated[0].reason


def test_capacity_short_falls_on_the_last_regions(config):
    groups = {
        "G": (
            [inst("H1", "A", 60), inst("H2", "B", 60), inst("H3", "C", 30)],
            [winner("E1", 1, 100, "0.1000")],
        )
    }
    result, _ = allocate_min_cost(groups, config)
    alloc = result["G"]
    assert rows_of(alloc) == [("H1", "E1", 60, "optimised"), ("H2", "E1", 40, "optimised")]
    assert alloc.regions == (
        RegionRow("A", "E1", None),
        RegionRow("B", "E1", None),
        RegionRow("C", None, None),
    )
    assert alloc.unallocated_volume == 50
    assert alloc.unallocated == (
        UnallocatedRegion(
            "B",
            20,
            "20 of the region's 60 units: "
            "the winners' capacity cannot cover the group's agreed volume",
        ),
        UnallocatedRegion(
            "C",
            30,
            "30 of the region's 30 units: "
            "the winners' capacity cannot cover the group's agreed volume",
        ),
    )


def test_groups_share_one_model_and_stay_independent(config):
    groups = {
        "G2": ([inst("H1", "KM", 10)], [winner("E1", 1, 100, "0.5000")]),
        "G1": (
            [inst("H1", "KM", 10, "E2"), inst("H2", "QJ", 20)],
            [winner("E1", 1, 100, "0.2000"), winner("E2", 2, 100, "0.3000")],
        ),
    }
    result, report = allocate_min_cost(groups, config)
    assert list(result) == ["G1", "G2"]
    assert rows_of(result["G1"]) == [("H1", "E1", 10, "optimised"), ("H2", "E1", 20, "optimised")]
    assert rows_of(result["G2"]) == [("H1", "E1", 10, "optimised")]
    # G1: 2 nodes × 2 winners + 2 slacks; G2: 1 node × 1 winner + 1 slack.
    assert (report.variables, report.constraints) == (8, 6)
    assert report.objective == pytest.approx(30 * 0.2 + 10 * 0.5)


def test_groups_without_winners_or_volume_need_no_model(config):
    groups = {
        "FAILED": ([inst("H1", "KM", 100)], []),
        "ZERO": ([inst("H1", "KM", 0)], [winner("E1", 1, 100, "0.1000")]),
    }
    result, report = allocate_min_cost(groups, config)
    assert report.status == "no_model"
    for alloc in result.values():
        assert (alloc.rows, alloc.regions, alloc.unallocated_volume) == ((), (), 0)


def test_no_solution_leaves_everything_unallocated_with_the_status(monkeypatch):
    def not_solved(problem, config):
        return SolveReport(status="not_solved", seconds=1.0, solver=config.name)

    monkeypatch.setattr(allocation_module, "solve", not_solved)
    groups = {"G": ([inst("H1", "KM", 100)], [winner("E1", 1, 1000, "0.1000")])}
    result, report = allocate_min_cost(groups, SolverConfig())
    assert report.status == "not_solved"
    assert report.objective is None
    assert result["G"].rows == ()
    assert result["G"].unallocated == (
        UnallocatedRegion(
            "KM",
            100,
            "100 of the region's 100 units: the solver returned no solution (status not_solved)",
        ),
    )


@pytest.mark.parametrize("share", ["0", "-0.1", "1.01"])
def test_max_share_outside_zero_one_is_refused(share):
    with pytest.raises(ValueError, match="max_share"):
        build_min_cost_model({}, max_share=Decimal(share))


def test_every_constraint_and_variable_is_named():
    groups = {
        "G": (
            [inst("H1", "KM", 100, "E2"), inst("H2", "QJ", 50)],
            [winner("E1", 1, 1000, "0.1000"), winner("E2", 2, 1000, "0.1000")],
        )
    }
    model = build_min_cost_model(groups, max_share=Decimal("0.6"))
    names = [c.name for c in model.problem.constraints()]
    assert sorted(names) == [
        "capacity_0",
        "capacity_1",
        "demand_0",
        "demand_1",
        "share_0",
        "share_1",
    ]
    assert all(v.name.startswith(("flow_", "unallocated_")) for v in model.problem.variables())
    # Demand nodes: (KM, prefers E2) and (QJ, no preference).
    assert [(n.region, n.preferred) for n in model.plans[0].nodes] == [("KM", "E2"), ("QJ", None)]


# ----------------------------------------------------------------------------- properties

ENTERPRISES = ["E1", "E2", "E3", "E4"]


@st.composite
def group_inputs(draw):
    k = draw(st.integers(0, 4))
    winners = [
        WinnerSupply(
            ENTERPRISES[j],
            j + 1,
            Decimal(draw(st.sampled_from(["0.1000", "0.1001", "0.1200", "0.9000"]))),
            draw(st.integers(0, 600)),
        )
        for j in range(k)
    ]
    n = draw(st.integers(0, 12))
    institutions = [
        InstitutionVolume(
            f"H{i:02d}",
            draw(st.sampled_from(["A", "B", "C", "D"])),
            draw(st.integers(0, 150)),
            draw(st.sampled_from([None, None, *ENTERPRISES, "E9"])),
        )
        for i in range(n)
    ]
    return institutions, winners


rounds = st.dictionaries(st.sampled_from(["G1", "G2", "G3"]), group_inputs(), max_size=3)
shares = st.sampled_from([None, Decimal("0.3"), Decimal("0.5"), Decimal("1")])


def limits(winners, agreed, max_share):
    cap = None if max_share is None else int(max_share * agreed)
    return {w.enterprise: w.capacity if cap is None else min(w.capacity, cap) for w in winners}


def reference_cost(institutions, winners, max_share):
    """Cheapest first, each winner up to its limit: the optimum of a complete bipartite
    transportation problem."""
    left = sum(i.agreed_volume for i in institutions)
    limit = limits(winners, left, max_share)
    cost = Decimal(0)
    for w in sorted(winners, key=lambda w: w.price):
        take = min(limit[w.enterprise], left)
        cost += take * w.price
        left -= take
    return cost


def check_min_cost_invariants(groups, result, max_share):
    assert sorted(result) == sorted(groups)
    for group_id, (institutions, winners) in groups.items():
        alloc = result[group_id]
        agreed = sum(i.agreed_volume for i in institutions)
        if not winners:
            assert (alloc.rows, alloc.regions, alloc.unallocated_volume) == ((), (), 0)
            continue
        limit = limits(winners, agreed, max_share)
        # Volume conserved; as much placed as the limits allow.
        assert sum(r.volume for r in alloc.rows) + alloc.unallocated_volume == agreed
        assert alloc.unallocated_volume == max(0, agreed - sum(limit.values()))
        assert alloc.unallocated_volume == sum(u.volume for u in alloc.unallocated)
        # No winner over its capacity or share.
        used = Counter()
        for row in alloc.rows:
            used[row.enterprise] += row.volume
        for w in winners:
            assert used[w.enterprise] <= limit[w.enterprise]
        # Rows: optimised, positive, distinct winners per institution, within the agreed volume.
        by_id = {i.institution: i for i in institutions}
        per_institution = Counter()
        for row in alloc.rows:
            assert row.role == "optimised" and row.volume > 0
            per_institution[row.institution] += row.volume
        assert len({(r.institution, r.enterprise) for r in alloc.rows}) == len(alloc.rows)
        for institution, volume in per_institution.items():
            assert volume <= by_id[institution].agreed_volume
        assert rows_of(alloc) == sorted(rows_of(alloc))
        # Least cost.
        assert allocation_cost(alloc, winners) == reference_cost(institutions, winners, max_share)
        # One regions row per region with volume; primary carries the most.
        assert [r.region for r in alloc.regions] == sorted(
            {i.region for i in institutions if i.agreed_volume > 0}
        )
        for region in alloc.regions:
            assert region.backup != region.primary or region.primary is None


@settings(max_examples=300, deadline=None)
@given(rounds, shares)
def test_min_cost_invariants_highs(groups, max_share):
    result, report = allocate_min_cost(groups, SolverConfig(name="highs"), max_share=max_share)
    assert report.status in ("optimal", "no_model")
    check_min_cost_invariants(groups, result, max_share)


@settings(max_examples=150, deadline=None)
@given(rounds, shares)
def test_min_cost_is_the_same_on_cbc_and_highs(groups, max_share):
    cbc, cbc_report = allocate_min_cost(groups, SolverConfig(name="cbc"), max_share=max_share)
    highs, _ = allocate_min_cost(groups, SolverConfig(name="highs"), max_share=max_share)
    assert cbc_report.status in ("optimal", "no_model")
    check_min_cost_invariants(groups, cbc, max_share)
    assert cbc == highs


@settings(max_examples=300, deadline=None)
@given(rounds)
def test_min_cost_never_costs_more_than_the_rule(groups):
    result, _ = allocate_min_cost(groups, SolverConfig(name="highs"))
    for group_id, (institutions, winners) in groups.items():
        by_rule = allocate_by_rule(institutions, winners)
        if by_rule.unallocated_volume == 0 and result[group_id].unallocated_volume == 0:
            assert allocation_cost(result[group_id], winners) <= allocation_cost(by_rule, winners)


# ----------------------------------------------------------------------------- provincial size


def provincial_round(seed=20270101):
    """SPEC §12 Yunnan: 100 groups, 2,200 institutions in 16 regions, ~90,000 demand lines,
    3–5 winners per group (4 typical) with room to cover the agreed volume."""
    rng = random.Random(seed)
    regions = [f"R{r:02d}" for r in range(16)]
    institutions = [(f"H{i:04d}", regions[rng.randrange(16)]) for i in range(2200)]
    enterprises = [f"E{e:03d}" for e in range(60)]
    groups = {}
    for g in range(100):
        k = rng.choice([3, 4, 4, 4, 5])
        names = rng.sample(enterprises, k + 1)  # the last one bid and lost
        lines = rng.sample(institutions, 900)
        volumes = [rng.randint(0, 50_000) for _ in lines]
        total = sum(volumes)
        base = rng.randint(500, 5000)
        winners = [
            WinnerSupply(
                names[j],
                j + 1,
                Decimal(base + j * rng.randint(0, 300)) / 10_000,
                int(total * rng.uniform(0.3, 0.7)),
            )
            for j in range(k)
        ]
        preferences = [None, None, None, names[0], names[1], names[2], names[k]]
        groups[f"G{g:03d}"] = (
            [
                InstitutionVolume(i, region, v, rng.choice(preferences))
                for (i, region), v in zip(lines, volumes, strict=True)
            ],
            winners,
        )
    return groups


@pytest.fixture(scope="module")
def province():
    return provincial_round()


def test_provincial_model_is_aggregated_far_below_the_variable_budget(province):
    assert sum(len(insts) for insts, _ in province.values()) == 90_000
    model = build_min_cost_model(province)
    # ≤ 16 regions × (1 + 4 preferred winners) nodes × (5 winners + 1 slack) per group.
    assert model.problem.numVariables() < 100 * 16 * 5 * 6 < 500_000
    assert model.problem.numConstraints() < 100 * (16 * 5 + 5)


def test_provincial_round_solves_and_conserves_volume(province, config):
    result, report = allocate_min_cost(province, config)
    assert report.status == "optimal"
    for group_id, (institutions, winners) in province.items():
        alloc = result[group_id]
        assert alloc.unallocated_volume == 0
        assert sum(r.volume for r in alloc.rows) == sum(i.agreed_volume for i in institutions)
        assert allocation_cost(alloc, winners) == reference_cost(institutions, winners, None)
    assert report.objective == pytest.approx(
        float(sum(reference_cost(i, w, None) for i, w in province.values()))
    )
