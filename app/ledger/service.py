"""The prepayment ledger, fulfilment and surplus retention (SPEC §9).

Prepayment (医保基金预付): when a round enters its agreement period (published → in_agreement),
and again when a new agreement year starts, the fund disburses to each institution
prepay_ratio × its annual contract amount (`solver.agreement.prepayment_amount`). The ledger
offsets it month by month against the invoices the institution accepted in that month
(`solver.agreement.prepayment_offsets`); whatever remains is offset in the last month. Every
row of the ledger, per institution and for the fund, satisfies
opening + disbursed − offset = closing.

Fulfilment: accepted purchases against the agreed volume, per contract, institution, group or
region, with the percentage complete and a linear projection to year end; purchases beyond
the agreed volume are shown apart.

Surplus retention (结余留用): at the end of a year, per institution and group, from the
bureau's grade and the two ratios it supplies (`solver.agreement.surplus_retention`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import Principal
from app.catalog.models import Group
from app.contracts.access import list_contracts, resolve_year
from app.contracts.auditing import snapshot
from app.contracts.errors import TooEarly
from app.contracts.models import Contract
from app.contracts.periods import local_date, month_bounds, month_of, year_ends_on, year_starts_on
from app.errors import Conflict, InvalidInput
from app.ledger.models import Prepayment, SurplusRetention
from app.ledger.schemas import (
    FulfilmentPublic,
    FulfilmentRow,
    FundLedger,
    FundMonth,
    InstitutionLedger,
    LedgerMonth,
    LedgerPublic,
    SurplusPublic,
    SurplusRequest,
    SurplusRow,
)
from app.orders.queries import ContractVolumes, accepted_invoices, volumes_by_contract
from app.rounds.access import load_round, require_state, rules_of
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from solver.agreement import prepayment_amount, prepayment_offsets, surplus_retention
from solver.money import round_money, round_volume

ZERO = Decimal("0.00")
PREPAYMENT = "prepayment"
SURPLUS = "surplus_retention"


# -- disbursement -----------------------------------------------------------------------------


def annual_amounts(contracts: Iterable[Contract]) -> dict[str, Decimal]:
    """Each institution's annual contract amount: the sum of its contracts' amounts (SPEC §8)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for c in contracts:
        totals[c.institution_id] += c.annual_amount
    return dict(totals)


def disburse_prepayments(
    session: Session, round_: Round, *, year: int, now: datetime, actor: Principal
) -> list[Prepayment]:
    """SPEC §9: the fund advances prepay_ratio × the annual contract amount to every
    institution with contracts in agreement year `year`, dated the first day of that year."""
    assert round_.agreement_start is not None
    existing = session.exec(
        select(Prepayment).where(Prepayment.round_id == round_.id, Prepayment.year == year)
    ).first()
    if existing is not None:
        raise Conflict(f"the prepayments of round {round_.id}, year {year}, are already disbursed")
    ratio = rules_of(round_).prepay_ratio
    contracts, _ = list_contracts(session, viewer=None, round_id=round_.id, year=year)
    disbursed_on = year_starts_on(round_.agreement_start, year)
    rows = [
        Prepayment(
            round_id=round_.id,
            year=year,
            institution_id=institution,
            annual_contract_amount=amount,
            prepay_ratio=ratio,
            amount=prepayment_amount(ratio, amount),
            disbursed_on=disbursed_on,
            created_at=now,
        )
        for institution, amount in sorted(annual_amounts(contracts).items())
    ]
    if rows:
        session.execute(insert(Prepayment), [r.model_dump(exclude={"id"}) for r in rows])
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="disburse",
        entity_type=PREPAYMENT,
        round_id=round_.id,
        changes=[
            audit.Change(
                f"{round_.id}/{year}/{r.institution_id}",
                None,
                snapshot(r, exclude=("id", "created_at")),
            )
            for r in rows
        ],
    )
    return rows


def on_agreement_start(session: Session, round_: Round, *, now: datetime, actor: Principal) -> None:
    """The effect of published → in_agreement: year 1's prepayments."""
    disburse_prepayments(session, round_, year=1, now=now, actor=actor)


# -- the ledger -------------------------------------------------------------------------------


def _status(first: date, last: date, today: date) -> Literal["closed", "current", "future"]:
    if last < today:
        return "closed"
    return "current" if first <= today else "future"


def institution_ledger(
    prepayment: Prepayment,
    accepted: Iterable[tuple[date, Decimal]],
    *,
    starts_on: date,
    today: date,
) -> InstitutionLedger:
    """One institution's ledger for one agreement year from its disbursement and its accepted
    invoices (accepted_on, amount)."""
    bounds = month_bounds(starts_on)
    by_month = [Decimal(0)] * len(bounds)
    for accepted_on, amount in accepted:
        index = month_of(starts_on, accepted_on)
        if index is not None:
            by_month[index] += amount
    rows = prepayment_offsets(prepayment.amount, prepayment.annual_contract_amount, by_month)
    months = []
    for (first, last), row in zip(bounds, rows, strict=True):
        disbursed = prepayment.amount if row.month == 1 else ZERO
        months.append(
            LedgerMonth(
                month=row.month,
                starts_on=first,
                ends_on=last,
                status=_status(first, last, today),
                # before the disbursement nothing is outstanding
                opening=row.opening if row.month > 1 else ZERO,
                disbursed=disbursed,
                accepted=round_money(row.accepted),
                offset=row.offset,
                closing=row.closing,
            )
        )
    final = rows[-1]
    proportional = (
        min(final.opening, round_money(prepayment.amount * final.accepted / prepayment.annual_contract_amount))
        if prepayment.annual_contract_amount
        else ZERO
    )  # fmt: skip
    begun = [m for m in months if m.status != "future"]
    return InstitutionLedger(
        institution_id=prepayment.institution_id,
        annual_contract_amount=prepayment.annual_contract_amount,
        prepay_ratio=prepayment.prepay_ratio,
        prepayment=prepayment.amount,
        disbursed_on=prepayment.disbursed_on,
        # what has been offset so far: prepayment − offset_total = outstanding once disbursed
        offset_total=sum((m.offset for m in begun), ZERO),
        year_end_remainder=final.offset - proportional,
        outstanding=begun[-1].closing if begun else ZERO,
        months=months,
    )


def fund_ledger(
    ledgers: list[InstitutionLedger], bounds: list[tuple[date, date]], today: date
) -> FundLedger:
    months = []
    for k, (first, last) in enumerate(bounds):
        rows = [led.months[k] for led in ledgers]
        disbursed = sum((r.disbursed for r in rows), ZERO)
        offset = sum((r.offset for r in rows), ZERO)
        months.append(
            FundMonth(
                month=k + 1,
                starts_on=first,
                ends_on=last,
                status=_status(first, last, today),
                opening=sum((r.opening for r in rows), ZERO),
                disbursed=disbursed,
                accepted=sum((r.accepted for r in rows), ZERO),
                offset=offset,
                closing=sum((r.closing for r in rows), ZERO),
                net_cash_out=disbursed - offset,
            )
        )
    return FundLedger(
        institutions=len(ledgers),
        prepayment_total=sum((led.prepayment for led in ledgers), ZERO),
        offset_total=sum((led.offset_total for led in ledgers), ZERO),
        year_end_remainder=sum((led.year_end_remainder for led in ledgers), ZERO),
        outstanding=sum((led.outstanding for led in ledgers), ZERO),
        months=months,
    )


def prepayment_ledger(
    session: Session,
    *,
    round_id: str,
    year: int | None,
    viewer: Principal,
    institution_id: str | None,
    now: datetime,
) -> LedgerPublic:
    r = load_round(session, round_id)
    year = resolve_year(session, r, year, field="query.year")
    assert r.agreement_start is not None
    starts_on = year_starts_on(r.agreement_start, year)
    today = local_date(now)
    query = select(Prepayment).where(Prepayment.round_id == round_id, Prepayment.year == year)
    if viewer.role is Role.institution:  # its own; another's id (below) then finds nothing
        query = query.where(col(Prepayment.institution_id) == viewer.actor_id)
    if institution_id is not None:
        query = query.where(col(Prepayment.institution_id) == institution_id)
    prepayments = list(session.exec(query.order_by(col(Prepayment.institution_id))))
    accepted: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    shown = {p.institution_id for p in prepayments}
    for inv in accepted_invoices(session, round_id=round_id, year=year):
        if inv.institution_id in shown:
            accepted[inv.institution_id].append((inv.accepted_on, inv.amount))
    ledgers = [
        institution_ledger(p, accepted[p.institution_id], starts_on=starts_on, today=today)
        for p in prepayments
    ]
    return LedgerPublic(
        round_id=round_id,
        year=year,
        starts_on=starts_on,
        ends_on=year_ends_on(r.agreement_start, year),
        as_of=today,
        fund=fund_ledger(ledgers, month_bounds(starts_on), today),
        institutions=ledgers,
    )


# -- fulfilment -------------------------------------------------------------------------------

FulfilmentBy = Literal["contract", "institution", "group", "region", "enterprise"]

_KEYS: dict[str, Callable[[Contract], dict[str, str | int]]] = {
    "contract": lambda c: {
        "contract_id": c.id or 0,
        "institution_id": c.institution_id,
        "group_id": c.group_id,
        "enterprise_id": c.enterprise_id,
        "region": c.region,
    },
    "institution": lambda c: {"institution_id": c.institution_id, "region": c.region},
    "group": lambda c: {"group_id": c.group_id},
    "region": lambda c: {"region": c.region},
    "enterprise": lambda c: {"enterprise_id": c.enterprise_id},
}


def _percent(part: int, whole: int) -> Decimal:
    return round_money(Decimal(part) * 100 / whole) if whole else ZERO


class _Tally:
    def __init__(self) -> None:
        self.agreed = self.ordered = self.purchased = self.within = self.beyond = self.backup = 0

    def add(self, agreed: int, v: ContractVolumes) -> None:
        self.agreed += agreed
        self.ordered += v.ordered
        self.purchased += v.accepted
        # within and beyond per contract, so one contract's surplus never hides another's gap
        self.within += min(v.accepted, agreed)
        self.beyond += max(0, v.accepted - agreed)
        self.backup += v.accepted_from_backup

    def row(self, key: dict[str, str | int], elapsed: int, days: int) -> FulfilmentRow:
        projected = round_volume(Decimal(self.purchased) * days / elapsed) if elapsed else 0
        return FulfilmentRow(
            key=key,
            agreed_volume=self.agreed,
            ordered_volume=self.ordered,
            purchased_volume=self.purchased,
            within_agreed_volume=self.within,
            beyond_agreed_volume=self.beyond,
            from_backup_volume=self.backup,
            percent_complete=_percent(self.within, self.agreed),
            projected_volume=projected,
            projected_percent=_percent(projected, self.agreed),
        )


def _row_order(item: tuple[tuple[tuple[str, str | int], ...], "_Tally"]) -> tuple[Any, ...]:
    return tuple(value for _, value in item[0])


def fulfilment(
    session: Session,
    *,
    round_id: str,
    year: int | None,
    by: FulfilmentBy,
    viewer: Principal,
    now: datetime,
) -> FulfilmentPublic:
    """Accepted purchases against the agreed volume of the viewer's contracts, grouped `by`.
    The projection is linear: purchases so far × days of the year ÷ days elapsed."""
    r = load_round(session, round_id)
    year = resolve_year(session, r, year, field="query.year")
    assert r.agreement_start is not None
    starts_on = year_starts_on(r.agreement_start, year)
    ends_on = year_ends_on(r.agreement_start, year)
    today = local_date(now)
    days = (ends_on - starts_on).days + 1
    elapsed = 0 if today < starts_on else (min(today, ends_on) - starts_on).days + 1
    contracts, _ = list_contracts(session, viewer=viewer, round_id=round_id, year=year)
    volumes = volumes_by_contract(session, round_id=round_id, year=year)
    tallies: dict[tuple[tuple[str, str | int], ...], _Tally] = {}
    total = _Tally()
    for c in contracts:
        assert c.id is not None
        v = volumes.get(c.id, ContractVolumes())
        key = tuple(_KEYS[by](c).items())
        tallies.setdefault(key, _Tally()).add(c.agreed_volume, v)
        total.add(c.agreed_volume, v)
    return FulfilmentPublic(
        round_id=round_id,
        year=year,
        by=by,
        starts_on=starts_on,
        ends_on=ends_on,
        as_of=today,
        elapsed_days=elapsed,
        year_days=days,
        # by contract id, or by the names of the key (every key holds one kind per position)
        rows=[t.row(dict(k), elapsed, days) for k, t in sorted(tallies.items(), key=_row_order)],
        total=total.row({}, elapsed, days),
    )


# -- surplus retention ------------------------------------------------------------------------


def compute_surplus_retention(
    session: Session, *, round_id: str, data: SurplusRequest, actor: Principal, now: datetime
) -> SurplusPublic:
    """SPEC §9, at the end of an agreement year: per contract (institution × group × winner),
    budget = agreed × pre-VBP price × the two ratios, actual = purchased (up to agreed) ×
    winning price × the same ratios, retention = max(0, budget − actual) × the grade's ratio;
    an institution that did not complete its agreed volume gets D. Computing again replaces
    the year's earlier figures.

    Computations of a round take turns on its row (FOR UPDATE, not FOR SHARE): two at once
    would each find the other's figures missing, and the later insert fail on them
    (PostgreSQL; SQLite has one writer at a time). The later one replaces the first's."""
    r = load_round(session, round_id, lock="update")
    require_state(
        r, RoundState.in_agreement, RoundState.closed, doing="compute the surplus retention"
    )
    year = resolve_year(session, r, data.year, field="body.year")
    assert r.agreement_start is not None
    ends_on = year_ends_on(r.agreement_start, year)
    if local_date(now) <= ends_on:
        raise TooEarly(
            f"agreement year {year} of round {round_id} ends on {ends_on.isoformat()}; the "
            "surplus retention is computed after it",
            ends_on=ends_on.isoformat(),
        )
    rules = rules_of(r)
    contracts, _ = list_contracts(session, viewer=None, round_id=round_id, year=year)
    institutions = sorted({c.institution_id for c in contracts})
    problems = [
        (f"body.grades.{i}", "give a grade (A, B, C or D) for every institution of the year")
        for i in institutions
        if i not in data.grades
    ] + [
        (f"body.grades.{i}", f"institution {i} has no contract in year {year}")
        for i in sorted(data.grades)
        if i not in institutions
    ]
    if problems:
        raise InvalidInput("invalid grades", problems)
    pre_vbp = {
        g.id: g.pre_vbp_unit_price
        for g in session.exec(select(Group).where(Group.round_id == round_id))
    }
    volumes = volumes_by_contract(session, round_id=round_id, year=year)
    old = {
        s.contract_id: s
        for s in session.exec(
            select(SurplusRetention).where(
                SurplusRetention.round_id == round_id, SurplusRetention.year == year
            )
        )
    }
    session.execute(
        delete(SurplusRetention).where(
            col(SurplusRetention.round_id) == round_id, col(SurplusRetention.year) == year
        )
    )
    rows: list[SurplusRetention] = []
    changes: list[audit.Change] = []
    for c in contracts:
        assert c.id is not None
        purchased = volumes[c.id].accepted if c.id in volumes else 0
        given = data.grades[c.institution_id]
        result = surplus_retention(
            agreed_volume=c.agreed_volume,
            purchased_volume=purchased,
            pre_vbp_unit_price=pre_vbp[c.group_id],
            winning_price=c.price,
            insurer_payment_ratio=data.insurer_payment_ratio,
            insured_share=data.insured_share,
            grade=given,
            rules=rules,
        )
        row = SurplusRetention(
            contract_id=c.id,
            round_id=round_id,
            year=year,
            institution_id=c.institution_id,
            group_id=c.group_id,
            enterprise_id=c.enterprise_id,
            agreed_volume=c.agreed_volume,
            purchased_volume=purchased,
            pre_vbp_unit_price=pre_vbp[c.group_id],
            winning_price=c.price,
            insurer_payment_ratio=data.insurer_payment_ratio,
            insured_share=data.insured_share,
            grade_given=given,
            grade=result.grade,
            grade_ratio=result.grade_ratio,
            completed=result.completed,
            budget=result.budget,
            actual=result.actual,
            surplus=result.surplus,
            retention=result.retention,
            computed_at=now,
        )
        rows.append(row)
        previous = old.get(c.id)
        changes.append(
            audit.Change(
                f"{round_id}/{year}/{c.id}",
                None if previous is None else snapshot(previous, exclude=("id",)),
                snapshot(row, exclude=("id",)),
            )
        )
    if rows:
        session.execute(insert(SurplusRetention), [x.model_dump(exclude={"id"}) for x in rows])
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="compute",
        entity_type=SURPLUS,
        round_id=round_id,
        changes=changes,
    )
    return _surplus_public(round_id, year, rows)


def _surplus_public(round_id: str, year: int, rows: list[SurplusRetention]) -> SurplusPublic:
    return SurplusPublic(
        round_id=round_id,
        year=year,
        retention_total=sum((x.retention for x in rows), ZERO),
        rows=[SurplusRow.model_validate(x, from_attributes=True) for x in rows],
    )


def list_surplus_retention(
    session: Session, *, round_id: str, year: int | None, viewer: Principal
) -> SurplusPublic:
    r = load_round(session, round_id)
    year = resolve_year(session, r, year, field="query.year")
    query = select(SurplusRetention).where(
        SurplusRetention.round_id == round_id, SurplusRetention.year == year
    )
    if viewer.role is Role.institution:
        query = query.where(col(SurplusRetention.institution_id) == viewer.actor_id)
    rows = list(session.exec(query.order_by(col(SurplusRetention.contract_id))))
    return _surplus_public(round_id, year, rows)
