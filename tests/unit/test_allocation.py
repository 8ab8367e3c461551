"""SPEC §8 allocation by rule: by brand, region draft, backup, unallocated volume."""

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.allocation import (
    AllocationRow,
    GroupAllocation,
    InstitutionVolume,
    RegionRow,
    UnallocatedRegion,
    WinnerSupply,
    allocate_by_rule,
    allocation_cost,
)


def inst(institution, region, volume, preferred=None):
    return InstitutionVolume(institution, region, volume, preferred)


def winner(enterprise, rank, capacity, price="0.1000"):
    return WinnerSupply(enterprise, rank, Decimal(price), capacity)


def rows_of(allocation):
    return [(r.institution, r.enterprise, r.volume, r.role) for r in allocation.rows]


def primaries(allocation):
    return {r.region: r.primary for r in allocation.regions}


# ----------------------------------------------------------------------------- step 1 by brand


def test_preferred_winner_takes_the_institution_while_its_capacity_covers_it():
    # E2 capacity 100: H1 (60) fits, H2 (50) does not (40 left) and falls through, H3 (30) fits.
    alloc = allocate_by_rule(
        [inst("H1", "KM", 60, "E2"), inst("H2", "KM", 50, "E2"), inst("H3", "QJ", 30, "E2")],
        [winner("E1", 1, 1000), winner("E2", 2, 100)],
    )
    assert rows_of(alloc) == [
        ("H1", "E2", 60, "preferred"),
        ("H2", "E1", 50, "primary"),
        ("H3", "E2", 30, "preferred"),
    ]
    # Only KM has an institution left after step 1.
    assert alloc.regions == (RegionRow("KM", "E1", "E2"),)


def test_brand_step_takes_institutions_in_id_order_as_plain_strings():
    # "H10" < "H9": H10 is served first and uses up E1's capacity; H9 falls through to E2.
    alloc = allocate_by_rule(
        [inst("H9", "KM", 70, "E1"), inst("H10", "KM", 70, "E1")],
        [winner("E1", 1, 100), winner("E2", 2, 100)],
    )
    assert rows_of(alloc) == [("H10", "E1", 70, "preferred"), ("H9", "E2", 70, "primary")]


def test_preference_for_a_non_winner_goes_to_the_draft():
    alloc = allocate_by_rule(
        [inst("H1", "KM", 50, "E9")], [winner("E1", 1, 100), winner("E2", 2, 100)]
    )
    assert rows_of(alloc) == [("H1", "E1", 50, "primary")]


def test_brand_step_consumes_capacity_before_the_draft():
    # E1 keeps 20 after H1; the KM region (50) is then too big for it, so E2 drafts it.
    alloc = allocate_by_rule(
        [inst("H1", "QJ", 80, "E1"), inst("H2", "KM", 50)],
        [winner("E1", 1, 100), winner("E2", 2, 100)],
    )
    assert rows_of(alloc) == [("H1", "E1", 80, "preferred"), ("H2", "E2", 50, "primary")]
    assert alloc.regions == (RegionRow("KM", "E2", "E1"),)


def test_region_fully_served_by_brand_has_no_regions_row():
    alloc = allocate_by_rule(
        [inst("H1", "KM", 10, "E2"), inst("H2", "QJ", 10)],
        [winner("E1", 1, 100), winner("E2", 2, 100)],
    )
    assert [r.region for r in alloc.regions] == ["QJ"]


# ----------------------------------------------------------------------------- step 2 draft


def test_winners_draft_in_rounds_largest_region_first():
    # Round 1: E1 takes A (300), E2 takes B (200); round 2: E1 takes C (100).
    alloc = allocate_by_rule(
        [inst("H1", "A", 300), inst("H2", "B", 200), inst("H3", "C", 100)],
        [winner("E1", 1, 1000), winner("E2", 2, 1000)],
    )
    assert alloc.regions == (
        RegionRow("A", "E1", "E2"),
        RegionRow("B", "E2", "E1"),
        RegionRow("C", "E1", "E2"),
    )
    assert rows_of(alloc) == [
        ("H1", "E1", 300, "primary"),
        ("H2", "E2", 200, "primary"),
        ("H3", "E1", 100, "primary"),
    ]


def test_winner_order_is_by_winner_number_not_input_order():
    alloc = allocate_by_rule(
        [inst("H1", "A", 300), inst("H2", "B", 200)],
        [winner("E2", 2, 1000), winner("E1", 1, 1000)],
    )
    assert primaries(alloc) == {"A": "E1", "B": "E2"}


def test_region_volume_is_the_sum_of_its_institutions():
    # A = 60 + 60 = 120 beats B = 100 although each A institution is smaller.
    alloc = allocate_by_rule(
        [inst("H1", "A", 60), inst("H2", "A", 60), inst("H3", "B", 100)],
        [winner("E1", 1, 1000), winner("E2", 2, 1000)],
    )
    assert primaries(alloc) == {"A": "E1", "B": "E2"}


def test_equal_regions_go_by_region_id():
    alloc = allocate_by_rule(
        [inst("H1", "QJ", 100), inst("H2", "KM", 100)],
        [winner("E1", 1, 1000), winner("E2", 2, 1000)],
    )
    assert primaries(alloc) == {"KM": "E1", "QJ": "E2"}


def test_winner_takes_the_largest_region_its_capacity_covers():
    # E1 (250) cannot cover A (300) and takes B (200); E2 takes A; round 2: E1 has 50 left,
    # too little for C (100), and skips; E2 takes C.
    alloc = allocate_by_rule(
        [inst("H1", "A", 300), inst("H2", "B", 200), inst("H3", "C", 100)],
        [winner("E1", 1, 250), winner("E2", 2, 1000)],
    )
    assert primaries(alloc) == {"A": "E2", "B": "E1", "C": "E2"}


def test_winner_with_no_fitting_region_skips_its_turn():
    # Round 1: E1 (10) skips, E2 takes A (50 left), E3 takes B (50 left).
    # Round 2: E1 skips, E2 takes C (50).
    alloc = allocate_by_rule(
        [inst("H1", "A", 300), inst("H2", "B", 200), inst("H3", "C", 50)],
        [winner("E1", 1, 10), winner("E2", 2, 350), winner("E3", 3, 250)],
    )
    assert primaries(alloc) == {"A": "E2", "B": "E3", "C": "E2"}
    # The backup is the best-numbered winner other than the primary, whatever its capacity.
    assert {r.region: r.backup for r in alloc.regions} == {"A": "E1", "B": "E1", "C": "E1"}


def test_draft_stops_after_a_round_with_no_pick():
    # Round 1: E1 takes B (80); E2 (100) cannot cover A (150). Round 2: nobody fits -> stop.
    alloc = allocate_by_rule(
        [inst("H1", "A", 90), inst("H2", "A", 60), inst("H3", "B", 80)],
        [winner("E1", 1, 100), winner("E2", 2, 100)],
    )
    assert alloc == GroupAllocation(
        rows=(AllocationRow("H3", "E1", 80, "primary"),),
        regions=(RegionRow("A", None, None), RegionRow("B", "E1", "E2")),
        unallocated_volume=150,
        unallocated=(
            UnallocatedRegion(
                "A",
                150,
                "no winner's remaining capacity covers the region's 150 units "
                "(the largest remaining capacity is 100)",
            ),
        ),
    )


def test_capacity_short_reports_every_region_nobody_could_take():
    alloc = allocate_by_rule(
        [inst("H1", "A", 500), inst("H2", "B", 400), inst("H3", "C", 100)],
        [winner("E1", 1, 150)],
    )
    assert primaries(alloc) == {"A": None, "B": None, "C": "E1"}
    assert alloc.unallocated_volume == 900
    assert [(u.region, u.volume) for u in alloc.unallocated] == [("A", 500), ("B", 400)]
    assert "500 units" in alloc.unallocated[0].reason
    assert "largest remaining capacity is 50" in alloc.unallocated[0].reason


# ----------------------------------------------------------------------------- backup


@pytest.mark.parametrize(
    ("primary_rank", "backup"), [(1, "E2"), (2, "E1"), (3, "E1")], ids=["E1", "E2", "E3"]
)
def test_backup_is_the_best_numbered_other_winner(primary_rank, backup):
    capacities = {1: 0, 2: 0, 3: 0}
    capacities[primary_rank] = 100  # only this winner can take the region
    alloc = allocate_by_rule(
        [inst("H1", "KM", 100)],
        [winner(f"E{r}", r, capacities[r]) for r in (1, 2, 3)],
    )
    assert alloc.regions == (RegionRow("KM", f"E{primary_rank}", backup),)


def test_one_winner_has_no_backup():
    alloc = allocate_by_rule([inst("H1", "KM", 100)], [winner("E1", 1, 100)])
    assert alloc.regions == (RegionRow("KM", "E1", None),)


# ----------------------------------------------------------------------------- edges


def test_zero_volume_institutions_get_no_rows_and_make_no_region():
    alloc = allocate_by_rule(
        [inst("H1", "KM", 100), inst("H2", "QJ", 0), inst("H3", "KM", 0, "E1")],
        [winner("E1", 1, 100)],
    )
    assert rows_of(alloc) == [("H1", "E1", 100, "primary")]
    assert [r.region for r in alloc.regions] == ["KM"]
    assert alloc.unallocated_volume == 0


def test_zero_volume_institution_does_not_block_a_region_with_no_capacity():
    alloc = allocate_by_rule([inst("H1", "KM", 0)], [winner("E1", 1, 0)])
    assert alloc == GroupAllocation((), (), 0, ())


def test_failed_group_without_winners_allocates_nothing():
    alloc = allocate_by_rule([inst("H1", "KM", 100)], [])
    assert alloc == GroupAllocation((), (), 0, ())


@pytest.mark.parametrize(
    ("institutions", "winners"),
    [
        ([inst("H1", "KM", 1), inst("H1", "QJ", 1)], [winner("E1", 1, 10)]),
        ([inst("H1", "KM", -1)], [winner("E1", 1, 10)]),
        ([inst("H1", "KM", 1)], [winner("E1", 1, 10), winner("E1", 2, 10)]),
        ([inst("H1", "KM", 1)], [winner("E1", 1, 10), winner("E2", 1, 10)]),
        ([inst("H1", "KM", 1)], [winner("E1", 1, -10)]),
    ],
    ids=["duplicate institution", "negative volume", "duplicate winner", "shared rank", "neg cap"],
)
def test_malformed_inputs_are_refused(institutions, winners):
    with pytest.raises(ValueError):
        allocate_by_rule(institutions, winners)


def test_allocation_cost_is_exact():
    alloc = allocate_by_rule([inst("H1", "KM", 3)], [winner("E1", 1, 10, price="0.3333")])
    assert allocation_cost(alloc, [winner("E1", 1, 10, price="0.3333")]) == Decimal("0.9999")


# ----------------------------------------------------------------------------- properties

REGIONS = ["A", "B", "C", "D"]
ENTERPRISES = ["E1", "E2", "E3", "E4"]


@st.composite
def groups(draw, max_winners=4):
    k = draw(st.integers(0, max_winners))
    winners = [
        WinnerSupply(
            ENTERPRISES[j],
            j + 1,
            Decimal(draw(st.sampled_from(["0.1000", "0.1200", "0.1500"]))),
            draw(st.integers(0, 600)),
        )
        for j in range(k)
    ]
    n = draw(st.integers(0, 12))
    institutions = [
        InstitutionVolume(
            f"H{i:02d}",
            draw(st.sampled_from(REGIONS)),
            draw(st.integers(0, 150)),
            draw(st.sampled_from([None, None, *ENTERPRISES, "E9"])),
        )
        for i in range(n)
    ]
    return institutions, winners


@settings(max_examples=300, deadline=None)
@given(groups())
def test_rule_allocation_conserves_volume(group):
    institutions, winners = group
    alloc = allocate_by_rule(institutions, winners)
    agreed = sum(i.agreed_volume for i in institutions)
    placed = sum(r.volume for r in alloc.rows)
    if winners:
        assert placed + alloc.unallocated_volume == agreed
        assert alloc.unallocated_volume == sum(u.volume for u in alloc.unallocated)
    else:
        assert alloc == GroupAllocation((), (), 0, ())


@settings(max_examples=300, deadline=None)
@given(groups())
def test_rule_allocation_respects_capacity(group):
    institutions, winners = group
    alloc = allocate_by_rule(institutions, winners)
    used = Counter()
    for row in alloc.rows:
        used[row.enterprise] += row.volume
    for w in winners:
        assert used[w.enterprise] <= w.capacity


@settings(max_examples=300, deadline=None)
@given(groups())
def test_rule_allocation_rows_follow_the_roles(group):
    institutions, winners = group
    alloc = allocate_by_rule(institutions, winners)
    by_id = {i.institution: i for i in institutions}
    primary = primaries(alloc)
    # One row per served institution, for its whole agreed volume.
    assert len({r.institution for r in alloc.rows}) == len(alloc.rows)
    for row in alloc.rows:
        source = by_id[row.institution]
        assert row.volume == source.agreed_volume > 0
        if row.role == "preferred":
            assert row.enterprise == source.preferred_enterprise
        else:
            assert row.role == "primary"
            assert row.enterprise == primary[source.region]
    # Institutions with volume and no row are exactly those of the unallocated regions.
    unallocated_regions = {u.region for u in alloc.unallocated}
    served = {r.institution for r in alloc.rows}
    for i in institutions:
        if i.agreed_volume > 0 and i.institution not in served and winners:
            assert i.region in unallocated_regions
    assert rows_of(alloc) == sorted(rows_of(alloc))
    # One regions row per region with institutions left after step 1.
    if winners:
        by_brand = {r.institution for r in alloc.rows if r.role == "preferred"}
        left = {
            i.region for i in institutions if i.agreed_volume > 0 and i.institution not in by_brand
        }
        assert set(primary) == left


@settings(max_examples=300, deadline=None)
@given(groups())
def test_rule_allocation_regions_and_backups(group):
    institutions, winners = group
    alloc = allocate_by_rule(institutions, winners)
    names = [w.enterprise for w in sorted(winners, key=lambda w: w.rank)]
    assert [r.region for r in alloc.regions] == sorted({r.region for r in alloc.regions})
    assert {u.region for u in alloc.unallocated} == {
        r.region for r in alloc.regions if r.primary is None
    }
    for region in alloc.regions:
        if region.primary is None or len(names) == 1:
            assert region.backup is None
        else:
            assert region.backup == next(n for n in names if n != region.primary)
