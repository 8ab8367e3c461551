"""SPEC §3 floor rule and base volume; SPEC §7 agreed volume rounding."""

from decimal import Decimal

import pytest

from solver.demand import agreed_volume, base_volume, is_below_floor
from solver.rules import build_rules


@pytest.mark.parametrize(
    ("reported", "usage", "flagged"),
    [
        (80, 100, False),  # exactly at the floor: not below
        (79, 100, True),
        (0, 0, False),  # no usage last year: never flagged
        (5, 0, False),
        (0, 1, True),
        (799_999, 1_000_000, True),
    ],
)
def test_floor_flag_is_exact(reported, usage, flagged):
    assert is_below_floor(reported, usage, Decimal("0.80")) is flagged


def test_raise_policy_sets_ceil_of_floor_times_usage():
    r = build_rules()
    # 0.8 × 12346 = 9876.8 → 9877
    b = base_volume(reported=1, last_year_usage=12346, accepted_below_floor=False, rules=r)
    assert (b.base_volume, b.flag) == (9877, "below_floor_raised")
    # 0.8 × 12345 = 9876 exactly
    b = base_volume(reported=100, last_year_usage=12345, accepted_below_floor=False, rules=r)
    assert (b.base_volume, b.flag) == (9876, "below_floor_raised")


def test_accepted_below_floor_keeps_the_report():
    b = base_volume(
        reported=40000, last_year_usage=60000, accepted_below_floor=True, rules=build_rules()
    )
    assert (b.base_volume, b.flag) == (40000, "below_floor_accepted")


def test_accept_policy_keeps_every_flagged_report():
    r = build_rules("batch7", {"below_floor_policy": "accept"})
    b = base_volume(reported=50000, last_year_usage=80000, accepted_below_floor=False, rules=r)
    assert (b.base_volume, b.flag) == (50000, "below_floor_accepted")


def test_report_at_or_above_floor_is_unflagged_even_when_marked_accepted():
    b = base_volume(
        reported=120000, last_year_usage=130000, accepted_below_floor=True, rules=build_rules()
    )
    assert (b.base_volume, b.flag) == (120000, None)


@pytest.mark.parametrize("policy", ["raise", "accept"])
@pytest.mark.parametrize(
    ("reported", "usage", "expected"),
    [
        (50, 100, (80, "below_floor_raised")),  # a low report refused
        (95, 100, (80, "below_floor_raised")),  # a report above the floor refused too
        (7, 0, (0, None)),  # no usage on record: the floor is 0
    ],
)
def test_a_rejected_report_gets_the_floor_whatever_the_policy(reported, usage, expected, policy):
    rules = build_rules("batch7", {"below_floor_policy": policy})
    got = base_volume(
        reported=reported, last_year_usage=usage, accepted_below_floor=False, rules=rules,
        rejected=True,
    )  # fmt: skip
    assert (got.base_volume, got.flag) == expected


def test_floor_ratio_is_a_rule():
    r = build_rules("batch7", {"demand_floor_ratio": "0.9"})
    b = base_volume(reported=85, last_year_usage=100, accepted_below_floor=False, rules=r)
    assert (b.base_volume, b.flag) == (90, "below_floor_raised")


@pytest.mark.parametrize(
    ("base", "ratio", "agreed"),
    [(120000, "0.50", 60000), (1, "0.50", 1), (3, "0.50", 2), (5, "0.70", 4), (7, "0.30", 2),
     (15, "0.70", 11), (0, "0.80", 0), (64000, "0.70", 44800)],
)  # fmt: skip
def test_agreed_volume_rounds_half_up(base, ratio, agreed):
    assert agreed_volume(base, Decimal(ratio)) == agreed
