"""Demand and base volume (采购量基数), SPEC §3 and §7."""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from solver.rules import RuleSet

Flag = Literal["below_floor_raised", "below_floor_accepted"]


@dataclass(frozen=True)
class BaseVolume:
    base_volume: int
    flag: Flag | None


@lru_cache(maxsize=64)
def _fraction(ratio: Decimal) -> tuple[int, int]:
    f = Fraction(ratio)
    return f.numerator, f.denominator


def is_below_floor(reported: int, last_year_usage: int, floor_ratio: Decimal) -> bool:
    """SPEC §3: flagged iff reported < floor × last year's usage, exactly; usage 0 never is.

    Whole-number arithmetic on the ratio's exact fraction: exact, and fast over 10^6 lines."""
    p, q = _fraction(floor_ratio)
    return last_year_usage > 0 and reported * q < p * last_year_usage


def base_volume(
    *,
    reported: int,
    last_year_usage: int,
    accepted_below_floor: bool,
    rules: RuleSet,
    rejected: bool = False,
) -> BaseVolume:
    """The reviewed report.  A report below the floor is kept when the bureau accepted the
    institution's justification (or the policy is `accept`); otherwise it is raised to
    ceil(floor × last year's usage).

    `rejected`: the bureau refused the report, so no figure of the institution stands and
    the floor rule gives the base, ceil(floor × last year's usage), whatever the policy (the
    policy keeps a figure nobody reviewed; a rejected one is not kept)."""
    if rejected:
        p, q = _fraction(rules.demand_floor_ratio)
        floor = -(-p * last_year_usage // q)  # ceil
        return BaseVolume(floor, "below_floor_raised" if floor > 0 else None)
    if not is_below_floor(reported, last_year_usage, rules.demand_floor_ratio):
        return BaseVolume(reported, None)
    if accepted_below_floor or rules.below_floor_policy == "accept":
        return BaseVolume(reported, "below_floor_accepted")
    p, q = _fraction(rules.demand_floor_ratio)
    return BaseVolume(-(-p * last_year_usage // q), "below_floor_raised")  # ceil


def reviewed_base_volume(
    *,
    reported: int,
    reviewed: int | None,
    last_year_usage: int,
    accepted_below_floor: bool,
    rules: RuleSet,
) -> BaseVolume:
    """SPEC §3 for a round document's demand line: the base follows from the reviewed report
    where there is one (`reviewed`), else from the report; a reviewed 0 that the bureau did
    not accept below the floor is a rejection."""
    return base_volume(
        reported=reported if reviewed is None else reviewed,
        last_year_usage=last_year_usage,
        accepted_below_floor=accepted_below_floor,
        rules=rules,
        rejected=reviewed == 0 and not accepted_below_floor,
    )


def agreed_volume(base: int, agreed_ratio: Decimal) -> int:
    """SPEC §7: 约定采购量 = round-half-up(base × agreed ratio), per institution."""
    p, q = _fraction(agreed_ratio)
    return (2 * base * p + q) // (2 * q)  # floor(x + 1/2) for x ≥ 0
