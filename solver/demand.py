"""Demand and base volume (采购量基数), SPEC §3 and §7."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from solver.money import round_volume
from solver.rules import RuleSet

Flag = Literal["below_floor_raised", "below_floor_accepted"]


@dataclass(frozen=True)
class BaseVolume:
    base_volume: int
    flag: Flag | None


def is_below_floor(reported: int, last_year_usage: int, floor_ratio: Decimal) -> bool:
    """SPEC §3: flagged iff reported < floor × last year's usage, exactly; usage 0 never is."""
    return last_year_usage > 0 and Decimal(reported) < floor_ratio * last_year_usage


def base_volume(
    *, reported: int, last_year_usage: int, accepted_below_floor: bool, rules: RuleSet
) -> BaseVolume:
    """The reviewed report.  A report below the floor is kept when the bureau accepted the
    institution's justification (or the policy is `accept`); otherwise it is raised to
    ceil(floor × last year's usage)."""
    if not is_below_floor(reported, last_year_usage, rules.demand_floor_ratio):
        return BaseVolume(reported, None)
    if accepted_below_floor or rules.below_floor_policy == "accept":
        return BaseVolume(reported, "below_floor_accepted")
    raised = (rules.demand_floor_ratio * last_year_usage).to_integral_value(rounding=ROUND_CEILING)
    return BaseVolume(int(raised), "below_floor_raised")


def agreed_volume(base: int, agreed_ratio: Decimal) -> int:
    """SPEC §7: 约定采购量 = round-half-up(base × agreed ratio), per institution."""
    return round_volume(base * agreed_ratio)
