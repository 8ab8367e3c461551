"""The stored form of an award's outcome (SPEC §6–§8): its canonical text and one row per
group, bid, volume, allocation, region and institution.

Prepared where the engine ran, in the award's worker process (app.award.worker), so that the
service process, which answers requests meanwhile, only writes what it receives: a provincial
outcome is some 180,000 rows, and turning them into rows and COPY text takes seconds of CPU
under the GIL. Standard library and the engine only (the worker imports this module).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.copy_text import copy_lines
from solver.engine import dumps_outcome

Rows = list[dict[str, Any]]

# table name -> its columns, in the order the rows give them
COLUMNS: dict[str, tuple[str, ...]] = {
    "outcome_groups": (
        "round_id",
        "group_id",
        "status",
        "valid_bidders",
        "winner_cap",
        "agreed_ratio",
        "term_years",
        "base_volume",
        "agreed_volume",
        "unallocated_volume",
        "payment_standard",
    ),
    "outcome_bids": (
        "round_id",
        "group_id",
        "enterprise_id",
        "ucp",
        "valid",
        "qualified",
        "rank",
        "reason",
        "won",
        "winner_rank",
        "price",
    ),
    "outcome_volumes": (
        "round_id",
        "institution_id",
        "group_id",
        "reported",
        "base_volume",
        "agreed_volume",
        "flag",
        "reviewed",
    ),
    "outcome_allocations": (
        "round_id",
        "institution_id",
        "group_id",
        "enterprise_id",
        "volume",
        "role",
        "price",
        "amount",
    ),
    "outcome_regions": (
        "round_id",
        "group_id",
        "region",
        "primary_enterprise",
        "backup_enterprise",
    ),
    "outcome_institutions": (
        "round_id",
        "institution_id",
        "annual_contract_amount",
        "prepayment",
    ),
}


@dataclass(frozen=True)
class PreparedOutcome:
    """What the service stores for an outcome. `tables` maps a table name to its rows (dicts,
    for bulk_insert), or, with `copy`, to its rows as PostgreSQL COPY text."""

    text: str
    solver_status: str
    tables: dict[str, Rows | str]


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def outcome_rows(round_id: str, outcome: dict[str, Any]) -> dict[str, Rows]:
    """The outcome's rows, table by table (the keys of COLUMNS)."""
    groups, bids = [], []
    for g in outcome["groups"]:
        groups.append(
            {
                "round_id": round_id,
                "group_id": g["id"],
                "status": g["status"],
                "valid_bidders": g["valid_bidders"],
                "winner_cap": g["winner_cap"],
                "agreed_ratio": _decimal(g["agreed_ratio"]),
                "term_years": g["term_years"],
                "base_volume": g["base_volume"],
                "agreed_volume": g["agreed_volume"],
                "unallocated_volume": g["unallocated_volume"],
                "payment_standard": _decimal(g["payment_standard"]),
            }
        )
        winners = {w["enterprise"]: w for w in g["winners"]}
        for b in g["bids"]:
            w = winners.get(b["enterprise"])
            bids.append(
                {
                    "round_id": round_id,
                    "group_id": g["id"],
                    "enterprise_id": b["enterprise"],
                    "ucp": Decimal(b["ucp"]),
                    "valid": b["valid"],
                    "qualified": b["qualified"],
                    "rank": b["rank"],
                    "reason": b["reason"],
                    "won": w is not None,
                    "winner_rank": None if w is None else w["rank"],
                    "price": None if w is None else Decimal(w["price"]),
                }
            )
    return {
        "outcome_groups": groups,
        "outcome_bids": bids,
        "outcome_volumes": [
            {
                "round_id": round_id,
                "institution_id": v["institution"],
                "group_id": v["group"],
                "reported": v["reported"],
                "base_volume": v["base_volume"],
                "agreed_volume": v["agreed_volume"],
                "flag": v["flag"],
                "reviewed": v.get("reviewed"),
            }
            for v in outcome["volumes"]
        ],
        "outcome_allocations": [
            {
                "round_id": round_id,
                "institution_id": a["institution"],
                "group_id": a["group"],
                "enterprise_id": a["enterprise"],
                "volume": a["volume"],
                "role": a["role"],
                "price": Decimal(a["price"]),
                "amount": Decimal(a["amount"]),
            }
            for a in outcome["allocations"]
        ],
        "outcome_regions": [
            {
                "round_id": round_id,
                "group_id": g["group"],
                "region": g["region"],
                "primary_enterprise": g["primary"],
                "backup_enterprise": g["backup"],
            }
            for g in outcome["regions"]
        ],
        "outcome_institutions": [
            {
                "round_id": round_id,
                "institution_id": i["id"],
                "annual_contract_amount": Decimal(i["annual_contract_amount"]),
                "prepayment": Decimal(i["prepayment"]),
            }
            for i in outcome["institutions"]
        ],
    }


def prepare_outcome(round_id: str, outcome: dict[str, Any], *, copy: bool) -> PreparedOutcome:
    """The canonical text and the rows of `outcome`; with `copy`, the rows as COPY text."""
    rows = outcome_rows(round_id, outcome)
    tables: dict[str, Rows | str] = (
        {name: copy_lines(COLUMNS[name], values) for name, values in rows.items()}
        if copy
        else dict(rows)
    )
    return PreparedOutcome(
        text=dumps_outcome(outcome),
        solver_status=outcome["solver"]["status"],
        tables=tables,
    )
