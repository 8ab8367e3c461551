"""One round document in, one outcome out (SPEC §3–§8, ROUND_DOCUMENT.md).

data → model → solve → result: base volumes, bid validity and UCPs, winner selection through
the PuLP model (checked against the plain reference), agreed volumes, allocation, money.
The outcome is a plain JSON-ready dict in the public format; `dumps_outcome` gives its
canonical text, byte-for-byte the same for the same document (`solver.seconds` aside).
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from operator import itemgetter
from typing import Any, Literal

from solver.allocation import (
    GroupAllocation,
    InstitutionVolume,
    WinnerSupply,
    allocate_by_rule,
    allocate_min_cost,
)
from solver.demand import agreed_volume, reviewed_base_volume
from solver.document import Demand, Round
from solver.money import round_money, round_ucp
from solver.rules import RuleSet
from solver.selection import (
    GroupInput,
    GroupSelection,
    SelectionModelError,
    evaluate_bids,
    select_reference,
    select_with_model,
)
from solver.solvers import SolverConfig, SolveReport, combine

AllocationMode = Literal["rule", "min_cost"]
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called between stages so a caller can show progress."""


class EngineError(RuntimeError):
    """A result the engine cannot stand behind (a bug, never bad input)."""


@dataclass(frozen=True)
class VolumeLine:
    institution: str
    group: str
    reported: int
    base_volume: int
    agreed_volume: int
    flag: str | None
    preferred_enterprise: str | None
    reviewed: int | None = None


def ucp_text(value: Decimal) -> str:
    return str(round_ucp(value))


def money_text(value: Decimal) -> str:
    return str(round_money(value))


def ratio_text(value: Decimal) -> str:
    """Ratios print with at least two decimals ("0.50"), more when the rule set has them."""
    return f"{value:.2f}" if value == round(value, 2) else str(value.normalize())


def simulate(
    round_: Round,
    *,
    solver: SolverConfig | None = None,
    allocation: AllocationMode = "rule",
    max_share: Decimal | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evaluate a validated round and return its outcome (the public format).

    `allocation="min_cost"` replaces the rule allocation of SPEC §8 by the what-if
    minimum-cost transportation LP; `max_share` then caps each winner's share of its group's
    agreed volume (a bureau-chosen what-if constraint)."""
    # Every product of a volume and a price is formed exactly, then rounded once (SPEC §4):
    # 28 digits, the default, could round a long price before the half-up to the cent.
    with localcontext(Context(prec=MONEY_PRECISION)):
        return _simulate(
            round_, solver=solver, allocation=allocation, max_share=max_share, progress=progress
        )


MONEY_PRECISION = 80


def _simulate(
    round_: Round,
    *,
    solver: SolverConfig | None = None,
    allocation: AllocationMode,
    max_share: Decimal | None,
    progress: Progress | None,
) -> dict[str, Any]:
    if max_share is not None and allocation != "min_cost":
        raise ValueError("max_share applies to the min_cost allocation only")
    solver = solver or SolverConfig()
    doc, rules = round_.document, round_.rules
    stages = 5

    def step(stage: str, done: int) -> None:
        if progress is not None:
            progress(stage, done, stages)

    step("base volumes", 0)
    regions = {inst.id: inst.region for inst in doc.institutions}
    # (institution, demand line, base volume, flag) per group
    demands_by_group: dict[str, list[tuple[str, Demand, int, str | None]]] = defaultdict(list)
    for d in doc.demands:
        bv = reviewed_base_volume(
            reported=d.reported,
            reviewed=d.reviewed,
            last_year_usage=d.last_year_usage,
            accepted_below_floor=d.accepted_below_floor,
            rules=rules,
        )
        demands_by_group[d.group].append((d.institution, d, bv.base_volume, bv.flag))

    step("bid validity and unit comparable prices", 1)
    enterprises = {e.id: e for e in doc.enterprises}
    bids_by_group: dict[str, list[Any]] = defaultdict(list)
    for b in doc.bids:
        bids_by_group[b.group].append(b)
    inputs = [
        GroupInput(
            group_id=g.id,
            form_family=g.form_family,
            ceiling=g.ceiling,
            candidates=evaluate_bids(g, bids_by_group[g.id], enterprises, rules),
        )
        for g in doc.groups
    ]

    step("winner selection", 2)
    try:
        selections, selection_report = select_with_model(inputs, rules, solver)
    except SelectionModelError as exc:
        raise EngineError(
            f"the selection model did not solve to optimality ({exc.report.status} after "
            f"{exc.report.seconds:.1f} s); raise --time-limit or try --solver highs"
        ) from exc
    for gi in inputs:
        reference = select_reference(gi, rules)
        if selections[gi.group_id] != reference:
            raise EngineError(
                f"group {gi.group_id}: the selection model and the rule reference disagree "
                f"(solver status {selection_report.status})"
            )

    step("agreed volumes", 3)
    volumes: dict[str, list[VolumeLine]] = {}
    for g in doc.groups:
        sel = selections[g.id]
        ratio = rules.agreed_ratio(g.ratio_table, len(sel.winners)) if sel.winners else None
        volumes[g.id] = [
            VolumeLine(
                inst,
                g.id,
                d.reported,
                base,
                agreed_volume(base, ratio) if ratio is not None else 0,
                flag,
                d.preferred_enterprise,
                d.reviewed,
            )
            for inst, d, base, flag in sorted(demands_by_group[g.id], key=itemgetter(0))
        ]

    step("allocation", 4)
    allocation_inputs: dict[str, tuple[list[InstitutionVolume], list[WinnerSupply]]] = {}
    for g in doc.groups:
        sel = selections[g.id]
        if not sel.winners:
            continue
        allocation_inputs[g.id] = (
            [
                InstitutionVolume(
                    v.institution, regions[v.institution], v.agreed_volume, v.preferred_enterprise
                )
                for v in volumes[g.id]
            ],
            [WinnerSupply(w.enterprise, w.rank, w.price, w.capacity) for w in sel.winners],
        )
    reports = [selection_report]
    if allocation == "min_cost":
        allocations, allocation_report = allocate_min_cost(
            allocation_inputs, solver, max_share=max_share
        )
        reports.append(allocation_report)
    else:
        allocations = {
            gid: allocate_by_rule(insts, winners)
            for gid, (insts, winners) in allocation_inputs.items()
        }

    outcome = _assemble(round_, rules, selections, volumes, allocations, reports, solver)
    step("done", 5)
    return outcome


def _assemble(
    round_: Round,
    rules: RuleSet,
    selections: Mapping[str, GroupSelection],
    volumes: Mapping[str, Sequence[VolumeLine]],
    allocations: Mapping[str, GroupAllocation],
    reports: Sequence[SolveReport],
    solver: SolverConfig,
) -> dict[str, Any]:
    report = combine(list(reports))
    doc = round_.document
    groups_out: list[dict[str, Any]] = []
    volumes_out: list[dict[str, Any]] = []
    allocations_out: list[dict[str, Any]] = []
    regions_out: list[dict[str, Any]] = []
    contract_by_institution: dict[str, Decimal] = {}
    for d in doc.demands:
        contract_by_institution.setdefault(d.institution, Decimal(0))
    pre_vbp_total = Decimal(0)
    contract_total = Decimal(0)

    for g in sorted(doc.groups, key=lambda g: g.id):
        sel = selections[g.id]
        lines = volumes[g.id]
        k = len(sel.winners)
        alloc = allocations.get(g.id)
        agreed = sum(v.agreed_volume for v in lines)
        unallocated = alloc.unallocated_volume if alloc else 0
        prices = {w.enterprise: w.price for w in sel.winners}
        if sel.winners:
            standard = (
                max(prices.values())
                if rules.payment_standard_basis == "highest_winner"
                else min(prices.values())
            )
            status = "capacity_short" if unallocated > 0 else "awarded"
        else:
            standard = None
            status = "failed"
        groups_out.append(
            {
                "id": g.id,
                "status": status,
                "valid_bidders": sel.valid_bidders,
                "winner_cap": sel.winner_cap,
                "bids": [
                    {
                        "enterprise": b.enterprise,
                        "ucp": ucp_text(b.ucp),
                        "valid": b.valid,
                        "qualified": b.qualified,
                        "rank": b.rank,
                        "reason": b.reason,
                    }
                    for b in sel.bids
                ],
                "winners": [
                    {"enterprise": w.enterprise, "price": ucp_text(w.price), "rank": w.rank}
                    for w in sel.winners
                ],
                "agreed_ratio": ratio_text(rules.agreed_ratio(g.ratio_table, k)) if k else None,
                "term_years": rules.term_years(k) if k else None,
                "base_volume": sum(v.base_volume for v in lines),
                "agreed_volume": agreed,
                "unallocated_volume": unallocated,
                "payment_standard": ucp_text(standard) if standard is not None else None,
                "unallocated_regions": [
                    {"region": u.region, "volume": u.volume, "reason": u.reason}
                    for u in (alloc.unallocated if alloc else ())
                ],
            }
        )
        volumes_out.extend(
            {
                "institution": v.institution,
                "group": v.group,
                "reported": v.reported,
                # only where the document gives one: outcomes of other documents are unchanged
                **({} if v.reviewed is None else {"reviewed": v.reviewed}),
                "base_volume": v.base_volume,
                "agreed_volume": v.agreed_volume,
                "flag": v.flag,
            }
            for v in lines
        )
        if alloc is None:
            continue
        for row in alloc.rows:
            price = prices[row.enterprise]
            amount = round_money(row.volume * price)
            contract_by_institution[row.institution] = (
                contract_by_institution.get(row.institution, Decimal(0)) + amount
            )
            contract_total += amount
            allocations_out.append(
                {
                    "institution": row.institution,
                    "group": g.id,
                    "enterprise": row.enterprise,
                    "volume": row.volume,
                    "role": row.role,
                    "price": ucp_text(price),
                    "amount": money_text(amount),
                }
            )
        regions_out.extend(
            {"region": r.region, "group": g.id, "primary": r.primary, "backup": r.backup}
            for r in alloc.regions
        )
        # SPEC §8: pre-VBP amount over the allocated volume (agreed − unallocated), per group.
        pre_vbp_total += round_money((agreed - unallocated) * g.pre_vbp_unit_price)

    # Groups were visited in id order and each group's rows are in institution (then
    # enterprise) order, so a stable sort by institution gives the public ordering.
    volumes_out.sort(key=itemgetter("institution"))
    allocations_out.sort(key=itemgetter("institution"))
    institutions_out = []
    prepayment_total = Decimal(0)
    for inst_id in sorted(contract_by_institution):
        amount = contract_by_institution[inst_id]
        prepayment = round_money(rules.prepay_ratio * amount)
        prepayment_total += prepayment
        institutions_out.append(
            {
                "id": inst_id,
                "annual_contract_amount": money_text(amount),
                "prepayment": money_text(prepayment),
            }
        )

    return {
        "round": {
            "id": doc.round.id,
            "name": doc.round.name,
            "agreement_start": doc.round.agreement_start.isoformat()
            if doc.round.agreement_start
            else None,
            "profile": rules.profile,
        },
        "groups": groups_out,
        "volumes": volumes_out,
        "allocations": allocations_out,
        "institutions": institutions_out,
        "regions": regions_out,
        "summary": {
            "pre_vbp_amount": money_text(pre_vbp_total),
            "contract_amount": money_text(contract_total),
            "savings": money_text(pre_vbp_total - contract_total),
            "prepayment_total": money_text(prepayment_total),
        },
        "rules": rules_json(rules),
        "solver": {
            # nothing to solve (every group failed) is trivially optimal
            "status": "optimal" if report.status == "no_model" else report.status,
            "seconds": round(report.seconds, 3),
            "name": solver.name,
            # the last model's objective: the selection model's lexicographic ranking score, or
            # the min-cost allocation's cost in yuan
            "objective": reports[-1].objective,
            "models": [
                {
                    "model": name,
                    "status": r.status,
                    "objective": r.objective,
                    "variables": r.variables,
                    "constraints": r.constraints,
                }
                for name, r in zip(("selection", "allocation"), reports, strict=False)
            ],
        },
    }


def rules_json(rules: RuleSet) -> dict[str, Any]:
    """The resolved rule set, so every published number can be traced to its rule."""
    data: dict[str, Any] = json.loads(rules.model_dump_json())
    return data


def dumps_outcome(outcome: Mapping[str, Any]) -> str:
    """Canonical text: top-level keys in the public order, one list element per line.

    Stable (the same outcome gives the same bytes) and fast: a list of flat records is encoded
    by one call of the C encoder, then laid out one record per line.
    """
    return "".join(iter_outcome_text(outcome))


def iter_outcome_text(outcome: Mapping[str, Any]) -> Iterator[str]:
    """`dumps_outcome` in pieces, one top-level key at a time, to write without holding the
    whole text (a national round's outcome is hundreds of megabytes)."""

    def enc(value: Any, separators: tuple[str, str] = (", ", ": ")) -> str:
        return json.dumps(value, ensure_ascii=False, separators=separators)

    yield "{\n"
    for i, (key, value) in enumerate(outcome.items()):
        lead = ",\n" if i else ""
        if isinstance(value, list) and value:
            yield f"{lead}  {enc(key)}: [\n    "
            yield _records_text(value, enc)
            yield "\n  ]"
        else:
            yield f"{lead}  {enc(key)}: {enc(value)}"
    yield "\n}\n"


def _records_text(records: list[Any], enc: Callable[..., str]) -> str:
    # Every list of the outcome holds records of one shape, so the first tells.
    if not isinstance(records[0], dict) or any(
        isinstance(v, dict | list) for v in records[0].values()
    ):
        return ",\n    ".join(enc(r) for r in records)
    # Flat records: with ",\n" as the item separator, "},\n{" can only stand between two
    # records (a scalar value never ends in "}"), and an encoded string never holds a raw
    # newline or NUL, so the separators can be told apart exactly.
    text = enc(records, (",\n", ": "))[1:-1]
    return text.replace("},\n{", "}\x00{").replace(",\n", ", ").replace("}\x00{", "},\n    {")
