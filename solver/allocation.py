"""Allocation of agreed volume to winners (SPEC §8).

Two modes, both pure functions of frozen inputs:

- `allocate_by_rule` — the rule of SPEC §8 for one group: by brand (按品牌报量), then a region
  draft in rounds, a backup supplier (备供) per region, and the volume nobody could take reported
  as unallocated with its reason.
- `allocate_min_cost` — the what-if of SPEC §8.5: one transportation LP for every group of a round
  (PuLP, CBC or HiGHS), aggregated to one supply node per (group, winner) and one demand node per
  (group, region, preferred winner or none), then disaggregated to institutions, role `optimised`.

Ties are decided by explicit rules, never by the solver (STYLE.md): in the min-cost mode the LP
fixes how much volume each price level carries; who serves whom within that is decided here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

import pulp

from solver.solvers import SolverConfig, SolveReport, solve

Role = Literal["preferred", "primary", "backup", "optimised"]


@dataclass(frozen=True)
class InstitutionVolume:
    institution: str
    region: str
    agreed_volume: int
    preferred_enterprise: str | None


@dataclass(frozen=True)
class WinnerSupply:
    enterprise: str
    rank: int  # winner number, 1 first
    price: Decimal
    capacity: int


@dataclass(frozen=True)
class AllocationRow:
    institution: str
    enterprise: str
    volume: int
    role: Role


@dataclass(frozen=True)
class RegionRow:
    region: str
    primary: str | None
    backup: str | None


@dataclass(frozen=True)
class UnallocatedRegion:
    region: str
    volume: int
    reason: str


@dataclass(frozen=True)
class GroupAllocation:
    rows: tuple[AllocationRow, ...]  # ordered by (institution, enterprise)
    regions: tuple[RegionRow, ...]  # ordered by region id
    unallocated_volume: int
    unallocated: tuple[UnallocatedRegion, ...]


EMPTY_ALLOCATION = GroupAllocation(rows=(), regions=(), unallocated_volume=0, unallocated=())


# --------------------------------------------------------------------------- inputs


def _winners_in_order(winners: Sequence[WinnerSupply]) -> tuple[WinnerSupply, ...]:
    """Winners by winner number (1 first); refuses duplicates and negative capacities."""
    ordered = tuple(sorted(winners, key=lambda w: w.rank))
    if len({w.enterprise for w in ordered}) != len(ordered):
        raise ValueError("a winner is listed twice in one group")
    if len({w.rank for w in ordered}) != len(ordered):
        raise ValueError("two winners share one winner number")
    for w in ordered:
        if w.capacity < 0:
            raise ValueError(f"winner {w.enterprise}: capacity must not be negative")
        if w.price < 0:
            raise ValueError(f"winner {w.enterprise}: price must not be negative")
    return ordered


def _institutions_in_order(
    institutions: Sequence[InstitutionVolume],
) -> tuple[InstitutionVolume, ...]:
    """Institutions with a positive agreed volume, in id order (plain string comparison).

    SPEC §8: an institution whose agreed volume is 0 gets no rows and takes no part.
    """
    ids = [i.institution for i in institutions]
    if len(set(ids)) != len(ids):
        raise ValueError("an institution is listed twice in one group")
    for i in institutions:
        if i.agreed_volume < 0:
            raise ValueError(f"institution {i.institution}: agreed volume must not be negative")
    return tuple(
        sorted((i for i in institutions if i.agreed_volume > 0), key=lambda i: i.institution)
    )


def _backup(primary: str | None, winners: Sequence[WinnerSupply]) -> str | None:
    """SPEC §8.3: the best-numbered winner other than the primary; none without a primary."""
    if primary is None:
        return None
    return next((w.enterprise for w in winners if w.enterprise != primary), None)


def _sorted_rows(rows: Sequence[AllocationRow]) -> tuple[AllocationRow, ...]:
    return tuple(sorted(rows, key=lambda r: (r.institution, r.enterprise)))


def allocation_cost(allocation: GroupAllocation, winners: Sequence[WinnerSupply]) -> Decimal:
    """Σ volume × price over the rows, exact (not rounded per row as contract amounts are)."""
    price = {w.enterprise: w.price for w in winners}
    total = Decimal(0)
    for row in allocation.rows:
        total += row.volume * price[row.enterprise]
    return total


# --------------------------------------------------------------------------- rule mode


def _draft(
    region_volume: Mapping[str, int],
    winners: Sequence[WinnerSupply],
    remaining: dict[str, int],
) -> dict[str, str]:
    """SPEC §8.2: winners draft regions in rounds; returns region -> primary.

    `remaining` (capacity left per winner) is reduced by every pick.
    """
    # The order in which any winner looks at open regions: most volume first, then region id.
    open_regions = sorted(region_volume, key=lambda r: (-region_volume[r], r))
    primary: dict[str, str] = {}
    while open_regions:
        picked_this_round = False
        for winner in winners:
            if not open_regions:
                break
            capacity = remaining[winner.enterprise]
            choice = next((r for r in open_regions if region_volume[r] <= capacity), None)
            if choice is None:
                continue  # skips its turn
            open_regions.remove(choice)
            primary[choice] = winner.enterprise
            remaining[winner.enterprise] = capacity - region_volume[choice]
            picked_this_round = True
        if not picked_this_round:
            break  # a whole round passed with no pick
    return primary


def allocate_by_rule(
    institutions: Sequence[InstitutionVolume], winners: Sequence[WinnerSupply]
) -> GroupAllocation:
    """Allocate one group's agreed volume by the rule of SPEC §8.

    Capacity is per winner, consumed first by step 1 (by brand), then by step 2 (region draft).
    A group without winners (流标) has nothing to allocate: empty rows and regions, 0 unallocated.
    """
    ordered_winners = _winners_in_order(winners)
    active = _institutions_in_order(institutions)
    if not ordered_winners:
        return EMPTY_ALLOCATION

    remaining = {w.enterprise: w.capacity for w in ordered_winners}
    rows: list[AllocationRow] = []

    # SPEC §8.1 by brand: the capacity check is per institution, so a later, smaller institution
    # may still fit after a larger one fell through.
    left: list[InstitutionVolume] = []
    for inst in active:
        preferred = inst.preferred_enterprise
        if (
            preferred is not None
            and preferred in remaining
            and remaining[preferred] >= inst.agreed_volume
        ):
            rows.append(AllocationRow(inst.institution, preferred, inst.agreed_volume, "preferred"))
            remaining[preferred] -= inst.agreed_volume
        else:
            left.append(inst)

    # SPEC §8.2 region draft over what step 1 left.
    by_region: dict[str, list[InstitutionVolume]] = {}
    for inst in left:
        by_region.setdefault(inst.region, []).append(inst)
    region_volume = {r: sum(i.agreed_volume for i in insts) for r, insts in by_region.items()}
    primary = _draft(region_volume, ordered_winners, remaining)

    regions: list[RegionRow] = []
    unallocated: list[UnallocatedRegion] = []
    largest_left = max(remaining.values())
    for region in sorted(by_region):
        drafter = primary.get(region)
        regions.append(RegionRow(region, drafter, _backup(drafter, ordered_winners)))
        if drafter is None:
            # SPEC §8.4: never silently dropped.
            volume = region_volume[region]
            unallocated.append(
                UnallocatedRegion(
                    region,
                    volume,
                    f"no winner's remaining capacity covers the region's {volume} units "
                    f"(the largest remaining capacity is {largest_left})",
                )
            )
            continue
        rows.extend(
            AllocationRow(inst.institution, drafter, inst.agreed_volume, "primary")
            for inst in by_region[region]
        )

    return GroupAllocation(
        rows=_sorted_rows(rows),
        regions=tuple(regions),
        unallocated_volume=sum(u.volume for u in unallocated),
        unallocated=tuple(unallocated),
    )


# --------------------------------------------------------------------------- min-cost mode


@dataclass(frozen=True)
class DemandNode:
    """A demand node of the transportation model: one group's institutions in one region that
    name the same preferred winner (`preferred` None: no preference, or a non-winner)."""

    region: str
    preferred: str | None
    institutions: tuple[InstitutionVolume, ...]  # id order, positive agreed volumes
    volume: int


@dataclass(frozen=True)
class GroupPlan:
    """One group's part of the model: its supply and demand nodes."""

    group: str
    winners: tuple[WinnerSupply, ...]  # winner order
    limits: tuple[int, ...]  # per winner: its capacity, lowered to the max share if one is set
    nodes: tuple[DemandNode, ...]  # by (region, no preference first, preferred winner)
    agreed_volume: int


@dataclass(frozen=True)
class MinCostModel:
    """The transportation LP of a round and the data to read it back."""

    problem: Any  # pulp.LpProblem (PuLP ships no type information)
    plans: tuple[GroupPlan, ...]  # by group id; only groups with winners and volume
    flows: tuple[tuple[tuple[Any, ...], ...], ...]  # [plan][node][winner] -> LpVariable
    max_share: Decimal | None


def _demand_nodes(
    institutions: Sequence[InstitutionVolume], winners: Sequence[WinnerSupply]
) -> tuple[DemandNode, ...]:
    names = {w.enterprise for w in winners}
    members: dict[tuple[str, str | None], list[InstitutionVolume]] = {}
    for inst in institutions:  # already in id order
        preferred = inst.preferred_enterprise if inst.preferred_enterprise in names else None
        members.setdefault((inst.region, preferred), []).append(inst)
    keys = sorted(members, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    return tuple(
        DemandNode(
            region,
            preferred,
            tuple(members[(region, preferred)]),
            sum(i.agreed_volume for i in members[(region, preferred)]),
        )
        for region, preferred in keys
    )


def _price_unit(prices: Sequence[Decimal]) -> Decimal:
    """The cost unit of a group's LP: the smallest gap between two distinct winner prices.

    Costs divided by it put every real price difference at 1 or more, far above the preference
    bonus and the solvers' tolerances.  Bounded below so the coefficients stay moderate.
    """
    distinct = sorted(set(prices))
    top = distinct[-1] if distinct else Decimal(0)
    if top <= 0:
        return Decimal(1)
    gaps = [b - a for a, b in pairwise(distinct)]
    unit = min(gaps) if gaps else top
    return max(unit, top / Decimal(10**6))


def build_min_cost_model(
    groups: Mapping[str, tuple[Sequence[InstitutionVolume], Sequence[WinnerSupply]]],
    *,
    max_share: Decimal | None = None,
) -> MinCostModel:
    """Build the transportation LP of SPEC §8.5 for every group at once.

    Per group: supply nodes are its winners (capacity; max share × the group's agreed volume),
    demand nodes aggregate institutions by (region, preferred winner); the cost of a unit is the
    winner's price, less a small bonus on a node's preferred winner; a slack per demand node
    carries what cannot be placed, at a penalty above every price.
    """
    if max_share is not None and not Decimal(0) < max_share <= Decimal(1):
        raise ValueError(f"max_share must be in (0, 1], got {max_share}")

    plans: list[GroupPlan] = []
    for group_id in sorted(groups):
        institutions, winners = groups[group_id]
        ordered_winners = _winners_in_order(winners)
        active = _institutions_in_order(institutions)
        if not ordered_winners or not active:
            continue
        agreed = sum(i.agreed_volume for i in active)
        share_cap = None if max_share is None else int(max_share * agreed)  # floor: at most
        limits = tuple(
            w.capacity if share_cap is None else min(w.capacity, share_cap) for w in ordered_winners
        )
        plans.append(
            GroupPlan(
                group_id, ordered_winners, limits, _demand_nodes(active, ordered_winners), agreed
            )
        )

    problem = pulp.LpProblem("min_cost_allocation", pulp.LpMinimize)
    n_arcs = sum(len(p.nodes) * len(p.winners) for p in plans)
    n_nodes = sum(len(p.nodes) for p in plans)
    flow_vars = problem.add_variable_dict("flow", range(n_arcs), lowBound=0)
    slack_vars = problem.add_variable_dict("unallocated", range(n_nodes), lowBound=0)

    objective: list[tuple[Any, float]] = []
    flows: list[tuple[tuple[Any, ...], ...]] = []
    arc = 0
    node_index = 0
    supply_index = 0
    for plan in plans:
        unit = _price_unit([w.price for w in plan.winners])
        cost = [float(w.price / unit) for w in plan.winners]
        # The bonus can never outweigh a price difference (≥ 1 unit), even summed along a chain
        # of reassignments that passes every winner once.
        bonus = 1.0 / (2 * (len(plan.winners) + 1))
        penalty = 2 * max(cost) + 1.0
        plan_flows: list[tuple[Any, ...]] = []
        for node in plan.nodes:
            node_flows = tuple(flow_vars[arc + j] for j in range(len(plan.winners)))
            arc += len(plan.winners)
            plan_flows.append(node_flows)
            for j, winner in enumerate(plan.winners):
                preferred = winner.enterprise == node.preferred
                objective.append((node_flows[j], cost[j] - bonus if preferred else cost[j]))
            slack = slack_vars[node_index]
            objective.append((slack, penalty))
            problem.addConstraint(
                pulp.lpSum([*node_flows, slack]) == node.volume, name=f"demand_{node_index}"
            )
            node_index += 1
        for j in range(len(plan.winners)):
            shipped = pulp.lpSum([node_flows[j] for node_flows in plan_flows])
            problem.addConstraint(
                shipped <= plan.winners[j].capacity, name=f"capacity_{supply_index}"
            )
            if max_share is not None:
                problem.addConstraint(shipped <= plan.limits[j], name=f"share_{supply_index}")
            supply_index += 1
        flows.append(tuple(plan_flows))
    # Built from (variable, coefficient) pairs in one go; every variable appears once.
    problem.setObjective(pulp.LpAffineExpression(objective))
    return MinCostModel(problem, tuple(plans), tuple(flows), max_share)


def _winner_totals(plan: GroupPlan, raw: Sequence[float]) -> list[int]:
    """Integer volume per winner from the LP's flows, made canonical.

    The LP's only decision that is not a tie is how much each price level carries: per group
    every demand node can reach every winner, so the cheapest levels fill first.  Winners with
    one price share their level's volume by an explicit rule: first toward the volume that
    names them as preferred, in winner order, then in winner order up to their limits.
    """
    totals = [min(limit, max(0, round(t))) for limit, t in zip(plan.limits, raw, strict=True)]
    # Rounding noise must never place more than the group's volume: trim the dearest winners.
    excess = sum(totals) - plan.agreed_volume
    for j in sorted(range(len(totals)), key=lambda j: (-plan.winners[j].price, -j)):
        if excess <= 0:
            break
        cut = min(excess, totals[j])
        totals[j] -= cut
        excess -= cut

    preferred_volume = [
        sum(n.volume for n in plan.nodes if n.preferred == w.enterprise) for w in plan.winners
    ]
    levels: dict[Decimal, list[int]] = {}
    for j, w in enumerate(plan.winners):
        levels.setdefault(w.price, []).append(j)
    canonical = [0] * len(totals)
    for members in levels.values():
        left = sum(totals[j] for j in members)
        for j in members:  # toward preferences first
            take = min(preferred_volume[j], plan.limits[j], left)
            canonical[j] += take
            left -= take
        for j in members:  # then by winner number
            take = min(plan.limits[j] - canonical[j], left)
            canonical[j] += take
            left -= take
    return canonical


def _node_shipments(plan: GroupPlan, totals: Sequence[int]) -> list[dict[int, int]]:
    """Volume per (demand node, winner) from the winners' totals, by an explicit rule.

    First each winner serves the nodes that prefer it (node order); then nodes in order
    (region id) take from winners in winner order.  What is left at the end of the node order
    stays unallocated: a shortfall falls on the last regions.
    """
    left = list(totals)
    need = [n.volume for n in plan.nodes]
    shipped: list[dict[int, int]] = [{} for _ in plan.nodes]
    index = {w.enterprise: j for j, w in enumerate(plan.winners)}
    for k, node in enumerate(plan.nodes):
        if node.preferred is None:
            continue
        j = index[node.preferred]
        take = min(left[j], need[k])
        if take:
            shipped[k][j] = take
            left[j] -= take
            need[k] -= take
    for k in range(len(plan.nodes)):
        for j in range(len(plan.winners)):
            take = min(left[j], need[k])
            if take:
                shipped[k][j] = shipped[k].get(j, 0) + take
                left[j] -= take
                need[k] -= take
    return shipped


def _disaggregate(
    plan: GroupPlan, shipped: Sequence[dict[int, int]], reason: str
) -> GroupAllocation:
    """Institutions (id order) fill from their node's winners (preferred first, then winner
    order); an institution may be split at a boundary.  Volume is conserved exactly."""
    rows: list[AllocationRow] = []
    region_volume: dict[str, int] = {}
    region_short: dict[str, int] = {}
    region_by_winner: dict[str, dict[int, int]] = {}
    for node, by_winner in zip(plan.nodes, shipped, strict=True):
        order = sorted(by_winner, key=lambda j: (plan.winners[j].enterprise != node.preferred, j))
        supply = [[j, by_winner[j]] for j in order]
        cursor = 0
        for inst in node.institutions:
            need = inst.agreed_volume
            while need and cursor < len(supply):
                j, available = supply[cursor]
                take = min(need, available)
                rows.append(
                    AllocationRow(inst.institution, plan.winners[j].enterprise, take, "optimised")
                )
                need -= take
                supply[cursor][1] = available - take
                if available == take:
                    cursor += 1
        region_volume[node.region] = region_volume.get(node.region, 0) + node.volume
        placed = sum(taken for taken in by_winner.values())  # whole units, not a PuLP expression
        region_short[node.region] = region_short.get(node.region, 0) + node.volume - placed
        carried = region_by_winner.setdefault(node.region, {})
        for j, volume in by_winner.items():
            carried[j] = carried.get(j, 0) + volume

    regions: list[RegionRow] = []
    unallocated: list[UnallocatedRegion] = []
    for region in sorted(region_volume):
        carried = region_by_winner[region]
        # The primary carries most of the region's volume; ties: better winner number.
        best = min(carried, key=lambda j: (-carried[j], j)) if carried else None
        primary = None if best is None else plan.winners[best].enterprise
        regions.append(RegionRow(region, primary, _backup(primary, plan.winners)))
        short = region_short[region]
        if short:
            unallocated.append(
                UnallocatedRegion(
                    region,
                    short,
                    f"{short} of the region's {region_volume[region]} units: {reason}",
                )
            )
    return GroupAllocation(
        rows=_sorted_rows(rows),
        regions=tuple(regions),
        unallocated_volume=sum(u.volume for u in unallocated),
        unallocated=tuple(unallocated),
    )


def _check(plan: GroupPlan, allocation: GroupAllocation) -> None:
    """Invariants of every result; a failure here is a bug, never an input error."""
    placed = sum(r.volume for r in allocation.rows)
    if placed + allocation.unallocated_volume != plan.agreed_volume:
        raise RuntimeError(f"group {plan.group}: allocation does not conserve volume")
    by_winner: dict[str, int] = {}
    for row in allocation.rows:
        by_winner[row.enterprise] = by_winner.get(row.enterprise, 0) + row.volume
    for w, limit in zip(plan.winners, plan.limits, strict=True):
        if by_winner.get(w.enterprise, 0) > limit:
            raise RuntimeError(f"group {plan.group}: winner {w.enterprise} over its limit")


def allocate_min_cost(
    groups: Mapping[str, tuple[Sequence[InstitutionVolume], Sequence[WinnerSupply]]],
    solver: SolverConfig,
    *,
    max_share: Decimal | None = None,
) -> tuple[dict[str, GroupAllocation], SolveReport]:
    """What-if allocation at minimum cost (SPEC §8.5), one LP for every group of a round.

    `max_share` caps each winner's volume at that share of its group's agreed volume (rounded
    down).  Lexicographic goals: place as much volume as capacities allow, at the least cost;
    among equal-cost allocations, serve preferred winners (then winner order, then region order,
    then institution id).  The report's `objective` is the cost in yuan of the integer allocation
    returned (Σ volume × price), not the LP's scaled objective.  When the solver returns no
    solution, every group's volume is reported unallocated with the solver status as its reason.
    """
    model = build_min_cost_model(groups, max_share=max_share)
    result: dict[str, GroupAllocation] = dict.fromkeys(sorted(groups), EMPTY_ALLOCATION)
    if not model.plans:
        return result, SolveReport(status="no_model", seconds=0.0, solver=solver.name)

    report = solve(model.problem, solver)
    solved = report.status in ("optimal", "feasible")
    if max_share is None:
        reason = "the winners' capacity cannot cover the group's agreed volume"
    else:
        reason = (
            f"the winners' capacity, at most {max_share} of the group's agreed volume each, "
            "cannot cover it"
        )
    if not solved:
        reason = f"the solver returned no solution (status {report.status})"

    cost = Decimal(0)
    for plan, plan_flows in zip(model.plans, model.flows, strict=True):
        if solved:
            raw = [
                sum(float(node_flows[j].varValue or 0.0) for node_flows in plan_flows)
                for j in range(len(plan.winners))
            ]
            totals = _winner_totals(plan, raw)
        else:
            totals = [0] * len(plan.winners)
        allocation = _disaggregate(plan, _node_shipments(plan, totals), reason)
        _check(plan, allocation)
        result[plan.group] = allocation
        cost += allocation_cost(allocation, plan.winners)
    return result, replace(report, objective=float(cost) if solved else None)
