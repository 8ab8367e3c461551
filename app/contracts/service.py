"""Contracts (购销协议), SPEC §9: one per (institution, winner, group) and agreement year.

- Publishing a round's results (awarded → published) turns every allocation of the stored
  outcome into a year-1 contract: annual agreed volume = the allocated volume, price = the
  winner's price, annual amount = round-half-up(volume × price, 0.01), term = the group's
  term_years, with the region's backup supplier (备供) and its own price.
- A new agreement year (the bureau, once that year has begun) renews every contract whose term
  covers it, with agreed volume = max(last year's agreed volume, last year's accepted
  purchases) — never lower than the year before, its base taken from actual purchases — and
  disburses the year's prepayments.
- Each actor sees only its own contracts: an institution those it buys under, an enterprise
  those it won; anything else is reported as not found.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.actors.models import Institution
from app.audit import service as audit
from app.auth.service import Principal
from app.contracts.access import current_year, list_contracts
from app.contracts.auditing import plain, snapshot
from app.contracts.errors import TooEarly
from app.contracts.models import Contract, SupplyRole
from app.contracts.outcome import load_outcome
from app.contracts.periods import local_date, year_ends_on, year_starts_on
from app.contracts.schemas import AgreementYearPublic, RenewedContract
from app.errors import Conflict, InvalidInput, TransitionBlocked
from app.ledger import service as ledger
from app.orders.queries import volumes_by_contract
from app.rounds.access import load_round, require_state
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from app.standards import service as standards
from solver.money import round_money

ENTITY = "contract"
_AUDITED = (
    "year",
    "institution_id",
    "enterprise_id",
    "group_id",
    "region",
    "role",
    "agreed_volume",
    "price",
    "annual_amount",
    "term_years",
    "starts_on",
    "ends_on",
    "backup_enterprise_id",
    "backup_price",
)


def entity_id(round_id: str, year: int, institution_id: str, group_id: str, enterprise: str) -> str:
    return f"{round_id}/{year}/{institution_id}/{group_id}/{enterprise}"


# -- creation at publication ------------------------------------------------------------------


def on_publish(session: Session, round_: Round, *, now: datetime, actor: Principal) -> None:
    """The effect of awarded → published: contracts and payment standards from the outcome."""
    if round_.agreement_start is None:
        raise TransitionBlocked(
            round_.state.value,
            RoundState.published.value,
            f"round {round_.id} has no agreement_start: set it before publishing, the "
            "contracts' agreement year starts on it",
        )
    outcome = load_outcome(session, round_.id)
    create_contracts(session, round_, outcome, now=now, actor=actor)
    standards.record_payment_standards(session, round_, outcome, now=now, actor=actor)


def create_contracts(
    session: Session,
    round_: Round,
    outcome: Mapping[str, Any],
    *,
    now: datetime,
    actor: Principal,
) -> int:
    """Year-1 contracts, one per allocation of the outcome; returns how many."""
    start = round_.agreement_start
    assert start is not None
    groups = {g["id"]: g for g in outcome["groups"]}
    prices = {
        (g["id"], w["enterprise"]): Decimal(w["price"])
        for g in outcome["groups"]
        for w in g["winners"]
    }
    backups = {(r["group"], r["region"]): r.get("backup") for r in outcome.get("regions", [])}
    institutions = {a["institution"] for a in outcome["allocations"]}
    regions = dict(
        session.execute(
            select(Institution.id, Institution.region).where(col(Institution.id).in_(institutions))
        ).all()
    ) if institutions else {}  # fmt: skip
    rows: list[dict[str, Any]] = []
    changes: list[audit.Change] = []
    ends_on = year_ends_on(start, 1)
    for a in outcome["allocations"]:
        institution, group_id, enterprise = a["institution"], a["group"], a["enterprise"]
        volume = int(a["volume"])
        price = Decimal(a["price"])
        term = int(groups[group_id]["term_years"] or 1)
        region = regions[institution]
        backup = backups.get((group_id, region))
        if backup == enterprise:
            backup = None
        row = {
            "round_id": round_.id,
            "year": 1,
            "institution_id": institution,
            "enterprise_id": enterprise,
            "group_id": group_id,
            "region": region,
            "role": SupplyRole(a["role"]).value,
            "agreed_volume": volume,
            "price": price,
            "annual_amount": round_money(volume * price),
            "term_years": term,
            "starts_on": start,
            "ends_on": ends_on,
            "term_ends_on": year_ends_on(start, term),
            "backup_enterprise_id": backup,
            "backup_price": prices.get((group_id, backup)) if backup else None,
            "previous_contract_id": None,
            "created_at": now,
        }
        rows.append(row)
        changes.append(
            audit.Change(
                entity_id(round_.id, 1, institution, group_id, enterprise),
                None,
                plain({k: row[k] for k in _AUDITED}),
            )
        )
    if rows:
        session.execute(insert(Contract), rows)
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="create",
        entity_type=ENTITY,
        round_id=round_.id,
        changes=changes,
    )
    return len(rows)


# -- renewal ----------------------------------------------------------------------------------


def start_agreement_year(
    session: Session, *, round_id: str, year: int, actor: Principal, now: datetime
) -> AgreementYearPublic:
    """Renew the round's contracts into agreement year `year` (SPEC §9, 续签)."""
    r = load_round(session, round_id, lock="update")
    require_state(r, RoundState.in_agreement, doing="start a new agreement year")
    assert r.agreement_start is not None
    latest = current_year(session, round_id) or 0
    if year != latest + 1:
        raise InvalidInput(
            "not the next agreement year",
            [
                (
                    "body.year",
                    f"round {round_id} is in agreement year {latest}; the next is {latest + 1}",
                )
            ],
        )
    starts_on = year_starts_on(r.agreement_start, year)
    ends_on = year_ends_on(r.agreement_start, year)
    today = local_date(now)
    if today < starts_on:
        raise TooEarly(
            f"agreement year {year} of round {round_id} starts on {starts_on.isoformat()}; "
            "its contracts are renewed from that day, on the purchases of the year before",
            starts_on=starts_on.isoformat(),
        )
    previous, _ = list_contracts(session, viewer=None, round_id=round_id, year=latest)
    continuing = [c for c in previous if c.term_years >= year]
    ended = [c.id for c in previous if c.term_years < year and c.id is not None]
    if not continuing:
        raise Conflict(
            f"every contract of round {round_id} ends with agreement year {latest}; "
            "close the round instead",
        )
    purchased = volumes_by_contract(session, round_id=round_id, year=latest)
    pairs: list[tuple[Contract, Contract, int]] = []
    for old in continuing:
        assert old.id is not None
        bought = purchased[old.id].accepted if old.id in purchased else 0
        agreed = max(old.agreed_volume, bought)
        new = Contract(
            round_id=round_id,
            year=year,
            institution_id=old.institution_id,
            enterprise_id=old.enterprise_id,
            group_id=old.group_id,
            region=old.region,
            role=old.role,
            agreed_volume=agreed,
            price=old.price,
            annual_amount=round_money(agreed * old.price),
            term_years=old.term_years,
            starts_on=starts_on,
            ends_on=ends_on,
            term_ends_on=old.term_ends_on,
            backup_enterprise_id=old.backup_enterprise_id,
            backup_price=old.backup_price,
            previous_contract_id=old.id,
            created_at=now,
        )
        session.add(new)
        pairs.append((old, new, bought))
    session.flush()
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="renew",
        entity_type=ENTITY,
        round_id=round_id,
        changes=[
            audit.Change(
                entity_id(round_id, year, new.institution_id, new.group_id, new.enterprise_id),
                {
                    "contract_id": old.id,
                    "agreed_volume": old.agreed_volume,
                    "purchased_volume": bought,
                },
                snapshot(new, exclude=("created_at",)),
            )
            for old, new, bought in pairs
        ],
    )
    renewed = [
        RenewedContract(
            contract_id=new.id or 0,
            previous_contract_id=old.id or 0,
            institution_id=new.institution_id,
            group_id=new.group_id,
            enterprise_id=new.enterprise_id,
            previous_agreed_volume=old.agreed_volume,
            purchased_volume=bought,
            agreed_volume=new.agreed_volume,
            annual_amount=new.annual_amount,
        )
        for old, new, bought in pairs
    ]
    prepayments = ledger.disburse_prepayments(session, r, year=year, now=now, actor=actor)
    return AgreementYearPublic(
        round_id=round_id,
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        contracts=renewed,
        ended=ended,
        prepayment_total=sum((p.amount for p in prepayments), Decimal("0.00")),
    )
