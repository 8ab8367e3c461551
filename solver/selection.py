"""Bid validity, ranking and winner selection (SPEC §4, §6).

data → model → solve → result:

- `evaluate_bids` turns a group's bids into `Candidate`s: UCP (单位可比价) and validity.
- `rank_group` ranks the valid bids (the explicit tie-break) and decides, exactly in `Decimal` /
  `Fraction` arithmetic, which bids pass the price rule and which may revive (复活).
- `select_reference` picks the winners with plain Python; `select_with_model` picks them with
  one PuLP MILP for all groups.  Both hand their choice to the same builder, so in rule mode
  the two give equal `GroupSelection`s (a property test keeps it so).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

import pulp

from solver import document
from solver.pricing import unit_comparable_price
from solver.rules import RuleSet
from solver.solvers import SolverConfig, SolveReport, solve

InvalidReason = Literal["ineligible_quality", "above_ceiling", "no_capacity", "credit_barred"]
LosingReason = Literal["price_rule", "over_cap"]


@dataclass(frozen=True)
class Candidate:
    """One bid of one enterprise in one group, with its UCP and validity (SPEC §4)."""

    enterprise: str
    ucp: Decimal  # rounded to 4 places
    capacity: int
    submitted_at: datetime | None  # None: no recorded time, ranks after any recorded one
    accept_revival: bool
    valid: bool
    reason: InvalidReason | None


@dataclass(frozen=True)
class GroupInput:
    group_id: str
    form_family: str
    ceiling: Decimal
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class BidResult:
    enterprise: str
    ucp: Decimal
    valid: bool
    qualified: bool
    rank: int | None  # UCP rank among valid bids, 1..N
    reason: str | None
    capacity: int
    winner_rank: int | None  # winner number 1..k when the bid won


@dataclass(frozen=True)
class Winner:
    enterprise: str
    price: Decimal
    rank: int  # winner number 1..k
    capacity: int
    revived: bool


@dataclass(frozen=True)
class GroupSelection:
    group_id: str
    status: Literal["awarded", "failed"]
    valid_bidders: int
    winner_cap: int
    bids: tuple[BidResult, ...]  # ordered: by rank, then invalid bids by enterprise id
    winners: tuple[Winner, ...]  # ordered by winner number


class SelectionModelError(RuntimeError):
    """The selection model gave no result the rule outcome can be read from (a solver failure,
    never bad input); `report` says what the solver did."""

    def __init__(self, message: str, report: SolveReport):
        super().__init__(message)
        self.report = report


# -- validity (SPEC §4) --------------------------------------------------------------------


def invalid_reason(
    *,
    quality: str,
    eligible_quality: Iterable[str],
    ucp: Decimal,
    ceiling: Decimal,
    capacity: int,
    credit_level: str | None,
    barred_credit_levels: Iterable[str],
) -> InvalidReason | None:
    """The first failing validity check, in the order SPEC §4 gives, or None for a valid bid."""
    if quality not in eligible_quality:
        return "ineligible_quality"
    if ucp > ceiling:  # the rounded UCP (SPEC §4: every comparison uses it)
        return "above_ceiling"
    if capacity <= 0:
        return "no_capacity"
    if credit_level is not None and credit_level in barred_credit_levels:
        return "credit_barred"
    return None


def evaluate_bids(
    group: document.Group,
    bids_of_group: Iterable[document.Bid],
    enterprises_by_id: Mapping[str, document.Enterprise],
    rules: RuleSet,
) -> tuple[Candidate, ...]:
    """Every bid of `group` with its UCP and validity, in the order given (SPEC §4).

    The group's own `eligible_quality` replaces the rule set's when it is set.  An enterprise
    missing from `enterprises_by_id` is treated as unrated (credit level null).
    """
    eligible = (
        group.eligible_quality if group.eligible_quality is not None else rules.eligible_quality
    )
    candidates: list[Candidate] = []
    for bid in bids_of_group:
        if bid.group != group.id:
            raise ValueError(
                f"bid of {bid.enterprise!r} is for group {bid.group!r}, not {group.id!r}"
            )
        ucp = unit_comparable_price(bid, group, rules)
        enterprise = enterprises_by_id.get(bid.enterprise)
        reason = invalid_reason(
            quality=bid.product.quality,
            eligible_quality=eligible,
            ucp=ucp,
            ceiling=group.ceiling,
            capacity=bid.capacity,
            credit_level=None if enterprise is None else enterprise.credit_level,
            barred_credit_levels=rules.barred_credit_levels,
        )
        candidates.append(
            Candidate(
                enterprise=bid.enterprise,
                ucp=ucp,
                capacity=bid.capacity,
                submitted_at=bid.submitted_at,
                accept_revival=bid.accept_revival,
                valid=reason is None,
                reason=reason,
            )
        )
    return tuple(candidates)


def group_input(
    group: document.Group,
    bids_of_group: Iterable[document.Bid],
    enterprises_by_id: Mapping[str, document.Enterprise],
    rules: RuleSet,
) -> GroupInput:
    """The selection input of one document group."""
    return GroupInput(
        group_id=group.id,
        form_family=group.form_family,
        ceiling=group.ceiling,
        candidates=evaluate_bids(group, bids_of_group, enterprises_by_id, rules),
    )


# -- ranking and the price rule (SPEC §6.1, §6.2) --------------------------------------------


def rank_key(candidate: Candidate) -> tuple[Decimal, int, bool, datetime, str]:
    """SPEC §6.1: UCP ascending; then larger capacity; then earlier submission (aware
    datetimes compare as instants, whatever their UTC offsets; a bid without a recorded time
    comes after those with one); then enterprise id."""
    at = candidate.submitted_at
    return (candidate.ucp, -candidate.capacity, at is None, at or _NO_TIME, candidate.enterprise)


_NO_TIME = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PriceRule:
    """The legs of SPEC §6.2 for one group; a bid qualifies when any leg admits it.

    Limits are exact (`Fraction`): 1.8 × lowest, 1.8 × anchor and (1 − cut) × ceiling are never
    rounded, and a UCP exactly on a limit qualifies.
    """

    basis: Fraction  # the lowest valid UCP, or the anchor price (batch11)
    spread_limit: Fraction  # spread_multiplier × basis
    ceiling_limit: Fraction | None  # (1 − min_cut_vs_ceiling) × ceiling; None without that leg
    floor: Fraction | None  # absolute floor of the group's form family; None without one

    def admits(self, ucp: Decimal) -> bool:
        price = Fraction(ucp)
        return (
            price <= self.spread_limit
            or (self.ceiling_limit is not None and price <= self.ceiling_limit)
            or (self.floor is not None and price <= self.floor)
        )


def price_rule(group: GroupInput, valid_ucps: Sequence[Decimal], rules: RuleSet) -> PriceRule:
    """SPEC §6.2 for a group whose valid bids have `valid_ucps` (at least one)."""
    if not valid_ucps:
        raise ValueError(f"group {group.group_id!r}: the price rule needs at least one valid bid")
    lowest = Fraction(min(valid_ucps))
    if rules.spread_basis == "anchor":
        # batch11: anchor = max(lowest, factor × the exact mean of the rounded valid UCPs)
        mean = sum((Fraction(u) for u in valid_ucps), Fraction(0)) / len(valid_ucps)
        basis = max(lowest, Fraction(rules.anchor_mean_factor) * mean)
    else:
        basis = lowest
    floor = rules.price_floor(group.form_family)
    return PriceRule(
        basis=basis,
        spread_limit=Fraction(rules.spread_multiplier) * basis,
        ceiling_limit=None
        if rules.min_cut_vs_ceiling is None
        else (1 - Fraction(rules.min_cut_vs_ceiling)) * Fraction(group.ceiling),
        floor=None if floor is None else Fraction(floor),
    )


@dataclass(frozen=True)
class RankedGroup:
    """A group ready for winner choice: the facts both selections share."""

    group: GroupInput
    ranked: tuple[Candidate, ...]  # valid bids, best first (bids[].rank = index + 1)
    invalid: tuple[Candidate, ...]  # invalid bids by enterprise id
    qualified: tuple[bool, ...]  # aligned with `ranked`: passes the price rule
    reviving: tuple[bool, ...]  # aligned with `ranked`: fails it but may revive (复活)
    cap: int  # winner cap for N = len(ranked)


def rank_group(group: GroupInput, rules: RuleSet) -> RankedGroup:
    """Rank a group's valid bids and apply the price rule (SPEC §6.1–§6.3)."""
    seen: set[str] = set()
    for c in group.candidates:
        if c.enterprise in seen:
            raise ValueError(f"group {group.group_id!r}: two bids of enterprise {c.enterprise!r}")
        seen.add(c.enterprise)
        if c.submitted_at is not None and c.submitted_at.utcoffset() is None:
            raise ValueError(
                f"group {group.group_id!r}: the bid of {c.enterprise!r} has no UTC offset"
            )
        if c.valid != (c.reason is None):
            raise ValueError(
                f"group {group.group_id!r}: the bid of {c.enterprise!r} is "
                f"valid={c.valid} with reason {c.reason!r}"
            )
    ranked = tuple(sorted((c for c in group.candidates if c.valid), key=rank_key))
    invalid = tuple(
        sorted((c for c in group.candidates if not c.valid), key=lambda c: c.enterprise)
    )
    if not ranked:
        return RankedGroup(group, ranked, invalid, (), (), 0)
    rule = price_rule(group, [c.ucp for c in ranked], rules)
    qualified = tuple(rule.admits(c.ucp) for c in ranked)
    reviving = tuple(
        rules.revival and c.accept_revival and not q for c, q in zip(ranked, qualified, strict=True)
    )
    return RankedGroup(group, ranked, invalid, qualified, reviving, rules.winner_cap(len(ranked)))


def _selection(prepared: RankedGroup, winners: frozenset[int]) -> GroupSelection:
    """The published selection of a group whose winners are `winners` (indices into `ranked`).

    Winners are numbered qualified first, then revived, each in rank order (SPEC §6.4); a
    revived winner takes the highest UCP among the qualified winners; losers get `over_cap`
    when they qualified or could revive, else `price_rule`.
    """
    ranked = prepared.ranked
    order = sorted(winners, key=lambda i: (not prepared.qualified[i], i))
    qualified_prices = [ranked[i].ucp for i in order if prepared.qualified[i]]
    winner_list: list[Winner] = []
    number: dict[int, int] = {}
    for n, i in enumerate(order, start=1):
        c = ranked[i]
        number[i] = n
        revived = not prepared.qualified[i]
        winner_list.append(
            Winner(
                enterprise=c.enterprise,
                price=max(qualified_prices) if revived else c.ucp,  # SPEC §6.6 pay-as-bid
                rank=n,
                capacity=c.capacity,
                revived=revived,
            )
        )
    bids: list[BidResult] = []
    for i, c in enumerate(ranked):
        reason: LosingReason | None = None
        if i not in winners:
            reason = "over_cap" if prepared.qualified[i] or prepared.reviving[i] else "price_rule"
        bids.append(
            BidResult(
                enterprise=c.enterprise,
                ucp=c.ucp,
                valid=True,
                qualified=prepared.qualified[i],
                rank=i + 1,
                reason=reason,
                capacity=c.capacity,
                winner_rank=number.get(i),
            )
        )
    bids.extend(
        BidResult(
            enterprise=c.enterprise,
            ucp=c.ucp,
            valid=False,
            qualified=False,
            rank=None,
            reason=c.reason,
            capacity=c.capacity,
            winner_rank=None,
        )
        for c in prepared.invalid
    )
    return GroupSelection(
        group_id=prepared.group.group_id,
        status="awarded" if ranked else "failed",  # SPEC §6.7 流标
        valid_bidders=len(ranked),
        winner_cap=prepared.cap,
        bids=tuple(bids),
        winners=tuple(winner_list),
    )


# -- the plain reference (SPEC §6) -----------------------------------------------------------


def select_reference(group: GroupInput, rules: RuleSet) -> GroupSelection:
    """SPEC §6 in plain Python: the best-ranked qualified bids up to the cap, then (when the
    profile allows revival) the best-ranked reviving bids while the cap allows."""
    prepared = rank_group(group, rules)
    n = len(prepared.ranked)
    chosen = [i for i in range(n) if prepared.qualified[i]][: prepared.cap]
    room = prepared.cap - len(chosen)
    chosen += [i for i in range(n) if prepared.reviving[i]][:room]
    return _selection(prepared, frozenset(chosen))


# -- the PuLP model, rule mode (SPEC §6) -----------------------------------------------------


def _objective_weight(prepared: RankedGroup, index: int) -> int:
    """Lexicographic weights within a group of N valid bids (rank r = index + 1):

    qualified bid: 2N + 2 − r ∈ [N + 2, 2N + 1];  reviving bid: N + 1 − r ∈ [1, N].

    Every qualified weight beats every reviving weight and weights fall with rank, so under
    the cap (one cardinality row per group) the unique optimum is the rule's choice: the best
    qualified bids first, then the best reviving ones.  The rows form an interval matrix, so
    the LP relaxation is integral already.
    """
    n = len(prepared.ranked)
    rank = index + 1
    return 2 * n + 2 - rank if prepared.qualified[index] else n + 1 - rank


@dataclass(frozen=True)
class SelectionModel:
    """The rule-mode MILP of several groups, before it is solved."""

    problem: pulp.LpProblem
    prepared: tuple[RankedGroup, ...]
    win: dict[tuple[int, int], pulp.LpVariable]  # (group index, rank index) → win variable


def build_selection_model(prepared: Sequence[RankedGroup]) -> SelectionModel | None:
    """One MILP for all `prepared` groups; None when no group has a valid bid.

    One binary win variable per valid bid; per group a named cap row (`cap_g<i>`: Σ win ≤ cap)
    and, for a bid that neither passes the price rule nor may revive, a named price-rule row
    (`price_rule_g<i>_b<k>`: win ≤ 0).  Which bids pass is decided exactly in Decimal before
    the model: a float threshold inside a solver with tolerances could not decide a UCP that
    sits exactly on 1.8 × lowest.  The ranking is the objective (`_objective_weight`).  A
    group without valid bids gets no variables.
    """
    keys = [(gi, k) for gi, p in enumerate(prepared) for k in range(len(p.ranked))]
    if not keys:
        return None
    problem = pulp.LpProblem("vbp_rule_selection", pulp.LpMaximize)
    by_name = problem.add_variable_dict("win", [f"g{gi}_b{k}" for gi, k in keys], cat=pulp.LpBinary)
    win = {(gi, k): by_name[f"g{gi}_b{k}"] for gi, k in keys}
    terms = []
    for gi, p in enumerate(prepared):
        if not p.ranked:
            continue  # SPEC §6.7: a failed group needs no variables
        group_vars = [win[gi, k] for k in range(len(p.ranked))]
        problem.addConstraint(pulp.lpSum(group_vars) <= p.cap, name=f"cap_g{gi}")
        for k, var in enumerate(group_vars):
            if p.qualified[k] or p.reviving[k]:
                terms.append(_objective_weight(p, k) * var)
            else:
                problem.addConstraint(var <= 0, name=f"price_rule_g{gi}_b{k}")
    problem.setObjective(pulp.lpSum(terms))
    return SelectionModel(problem=problem, prepared=tuple(prepared), win=win)


def select_with_model(
    groups: Sequence[GroupInput], rules: RuleSet, solver: SolverConfig
) -> tuple[dict[str, GroupSelection], SolveReport]:
    """The winners of every group from ONE MILP (rule mode), mapped to `GroupSelection`s equal
    to `select_reference`'s (see `build_selection_model`).

    Rule mode needs the true optimum, so the model runs with a zero MIP gap whatever
    `solver.gap_rel` says, and results are read only from a solve whose status and solution
    status are both optimal.  Raises `SelectionModelError` otherwise.
    """
    ids = [g.group_id for g in groups]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate group ids: {', '.join(duplicates)}")
    prepared = [rank_group(g, rules) for g in groups]

    model = build_selection_model(prepared)
    if model is None:  # every group failed; nothing to solve
        return (
            {p.group.group_id: _selection(p, frozenset()) for p in prepared},
            SolveReport(status="no_model", seconds=0.0, solver=solver.name),
        )

    report = solve(model.problem, replace(solver, gap_rel=0.0))
    if report.status != "optimal":
        raise SelectionModelError(
            f"the selection model ended {report.status!r}; the rule outcome needs an optimal "
            "solution",
            report,
        )

    selections: dict[str, GroupSelection] = {}
    for gi, p in enumerate(prepared):
        chosen = frozenset(
            k for k in range(len(p.ranked)) if _binary_value(model.win[gi, k], report)
        )
        _check_choice(p, chosen, report)
        selections[p.group.group_id] = _selection(p, chosen)
    return selections, report


def _binary_value(var: pulp.LpVariable, report: SolveReport) -> bool:
    value = var.varValue
    if value is None or abs(float(value) - round(float(value))) > 1e-6:
        raise SelectionModelError(f"{var.name} has no 0/1 value ({value!r})", report)
    return round(float(value)) == 1


def _check_choice(prepared: RankedGroup, chosen: frozenset[int], report: SolveReport) -> None:
    """A last guard before a model result is published: cap and price rule hold."""
    gid = prepared.group.group_id
    if len(chosen) > prepared.cap:
        raise SelectionModelError(f"group {gid!r}: more winners than the cap", report)
    if any(not (prepared.qualified[k] or prepared.reviving[k]) for k in chosen):
        raise SelectionModelError(f"group {gid!r}: a winner fails the price rule", report)
