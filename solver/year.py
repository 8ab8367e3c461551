"""A seeded agreement year (协议期) on top of an award: orders, deliveries, acceptance, invoices,
payments and the fund's prepayment ledger, month by month (SPEC §9).

Pure: contracts and settings in, a report out; every date comes from the agreement start, every
random draw from one `random.Random(seed)`, so the same inputs give the same year.  The service
replays the same process against its stored contracts with its injectable clock.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from solver.agreement import (
    add_months,
    days_overdue,
    delivery_deadline,
    prepayment_offsets,
    settlement_due_date,
)
from solver.money import round_money

# Winter respiratory season high, early-summer low; normalised before use.
DEFAULT_SEASONALITY: tuple[float, ...] = (
    1.15, 1.05, 1.00, 0.95, 0.90, 0.90, 0.92, 0.95, 1.00, 1.03, 1.05, 1.10,
)  # fmt: skip


@dataclass(frozen=True)
class Contract:
    """One contract (institution, winner, group) with its annual agreed volume and price."""

    institution: str
    group: str
    enterprise: str
    region: str
    agreed_volume: int
    price: Decimal
    backup: str | None = None
    backup_price: Decimal | None = None


@dataclass(frozen=True)
class YearSettings:
    seed: int = 1
    months: int = 12
    failure_probability: float = 0.02
    late_payment_probability: float = 0.10
    purchase_factor: tuple[float, float] = (
        0.92,
        1.08,
    )  # an institution's year vs its agreed volume
    acceptance_delay_days: tuple[int, int] = (0, 3)
    late_payment_days: tuple[int, int] = (1, 45)
    delivery_days: int = 3
    seasonality: tuple[float, ...] = DEFAULT_SEASONALITY

    def __post_init__(self) -> None:
        if not 0 <= self.failure_probability <= 1:
            raise ValueError("failure_probability must be between 0 and 1")
        if not 0 <= self.late_payment_probability <= 1:
            raise ValueError("late_payment_probability must be between 0 and 1")
        if not 1 <= self.months <= 36:
            raise ValueError("months must be between 1 and 36")
        if len(self.seasonality) != 12 or min(self.seasonality) <= 0:
            raise ValueError("seasonality needs 12 positive monthly weights")
        low, high = self.purchase_factor
        if not 0 <= low <= high:
            raise ValueError("purchase_factor must be a range 0 ≤ low ≤ high")


@dataclass(frozen=True)
class Order:
    """One order and what became of it."""

    month: int
    institution: str
    group: str
    enterprise: str  # the contract's winner
    volume: int
    ordered_on: date
    deadline: date
    supplier: str  # who delivered: the winner, or the region's backup after a failure
    price: Decimal
    delivered_on: date
    failed: bool  # not delivered by the winner within delivery_days (a supply failure)
    backup_activated: bool
    accepted_on: date
    amount: Decimal
    due_on: date
    paid_on: date | None  # None: not paid within the simulated period


@dataclass
class _Month:
    index: int
    start: date
    end: date
    orders: int = 0
    ordered_volume: int = 0
    accepted_volume: int = 0
    accepted_amount: Decimal = field(default_factory=Decimal)
    failures: int = 0
    backup_activations: int = 0
    late_deliveries: int = 0
    invoices_due: int = 0
    invoices_due_amount: Decimal = field(default_factory=Decimal)
    paid_amount: Decimal = field(default_factory=Decimal)


def _business_day_in(rng: random.Random, start: date, end: date) -> date:
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day if day >= start else start


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Whole units in proportion to `weights`, largest remainder first: the parts add to total."""
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def simulate_year(
    contracts: Sequence[Contract],
    *,
    agreement_start: date,
    prepay_ratio: Decimal,
    settings: YearSettings,
) -> dict[str, Any]:
    """Run one agreement year and report it month by month (JSON-ready)."""
    rng = random.Random(settings.seed)
    starts = [add_months(agreement_start, m) for m in range(settings.months + 1)]
    months = [
        _Month(i + 1, starts[i], starts[i + 1] - timedelta(days=1)) for i in range(settings.months)
    ]
    period_end = months[-1].end
    weights = [
        settings.seasonality[(agreement_start.month - 1 + m) % 12] for m in range(settings.months)
    ]

    institutions = sorted({c.institution for c in contracts})
    factor = {i: rng.uniform(*settings.purchase_factor) for i in institutions}
    annual_amount: dict[str, Decimal] = defaultdict(Decimal)
    for c in contracts:
        annual_amount[c.institution] += round_money(c.agreed_volume * c.price)
    prepayment = {i: round_money(prepay_ratio * annual_amount[i]) for i in institutions}

    orders: list[Order] = []
    ordered = sorted(contracts, key=lambda c: (c.institution, c.group, c.enterprise))
    for c in ordered:
        planned = round(c.agreed_volume * factor[c.institution])
        for m, volume in zip(months, _split(planned, weights), strict=True):
            if volume <= 0:
                continue
            orders.append(_order(rng, c, m, volume, settings))

    accepted_by_inst_month: dict[str, list[Decimal]] = {
        i: [Decimal(0)] * settings.months for i in institutions
    }
    supplier_record: dict[str, dict[str, int]] = defaultdict(
        lambda: {"orders": 0, "on_time": 0, "late": 0, "failed": 0, "backup_deliveries": 0}
    )
    purchased: dict[tuple[str, str, str], int] = defaultdict(int)
    accepted_by_month: list[Counter[tuple[str, str, str]]] = [Counter() for _ in months]
    month_of = {m.index: m for m in months}
    for o in orders:
        m = month_of[o.month]
        m.orders += 1
        m.ordered_volume += o.volume
        rec = supplier_record[o.enterprise]
        rec["orders"] += 1
        if o.failed:
            rec["failed"] += 1
            m.failures += 1
            if o.backup_activated:
                m.backup_activations += 1
                supplier_record[o.supplier]["backup_deliveries"] += 1
        elif o.delivered_on > o.deadline:
            rec["late"] += 1
            m.late_deliveries += 1
        else:
            rec["on_time"] += 1
        acc = _month_index(months, o.accepted_on)
        if acc is not None:
            am = months[acc]
            am.accepted_volume += o.volume
            am.accepted_amount += o.amount
            accepted_by_inst_month[o.institution][acc] += o.amount
            purchased[(o.institution, o.group, o.enterprise)] += o.volume
            accepted_by_month[acc][(o.institution, o.group, o.enterprise)] += o.volume
        due = _month_index(months, o.due_on)
        if due is not None:
            months[due].invoices_due += 1
            months[due].invoices_due_amount += o.amount
        if o.paid_on is not None:
            paid = _month_index(months, o.paid_on)
            if paid is not None:
                months[paid].paid_amount += o.amount

    # SPEC §9 ledger per institution; the fund's ledger is the sum.
    offsets = {
        i: prepayment_offsets(prepayment[i], annual_amount[i], accepted_by_inst_month[i])
        for i in institutions
    }
    total_prepayment = sum((amount for amount in prepayment.values()), Decimal(0))  # yuan, not PuLP
    month_rows = []
    # fulfilment counts what was bought within each contract's agreed volume (the rest is
    # shown apart, as the service's fulfilment does)
    agreed_of = {(c.institution, c.group, c.enterprise): c.agreed_volume for c in contracts}
    bought_so_far: Counter[tuple[str, str, str]] = Counter()
    within_so_far = 0
    agreed_total = sum(c.agreed_volume for c in contracts)
    for k, m in enumerate(months):
        offset = sum((offsets[i][k].offset for i in institutions), Decimal(0))
        # before month 1's disbursement nothing is outstanding
        opening = (
            sum((offsets[i][k].opening for i in institutions), Decimal(0)) if k else Decimal(0)
        )
        closing = sum((offsets[i][k].closing for i in institutions), Decimal(0))
        overdue = [
            o
            for o in orders
            if o.due_on < m.end and (o.paid_on is None or o.paid_on > m.end)
            and o.accepted_on <= m.end
        ]  # fmt: skip
        for key, volume in accepted_by_month[k].items():
            agreed = agreed_of.get(key, 0)
            before = min(bought_so_far[key], agreed)
            bought_so_far[key] += volume
            within_so_far += min(bought_so_far[key], agreed) - before
        disbursed = total_prepayment if k == 0 else Decimal(0)
        month_rows.append(
            {
                "month": m.start.strftime("%Y-%m"),
                "orders": m.orders,
                "ordered_volume": m.ordered_volume,
                "accepted_volume": m.accepted_volume,
                "accepted_amount": str(round_money(m.accepted_amount)),
                "supply_failures": m.failures,
                "backup_activations": m.backup_activations,
                "late_deliveries": m.late_deliveries,
                "invoices_due": m.invoices_due,
                "invoices_due_amount": str(round_money(m.invoices_due_amount)),
                "paid_amount": str(round_money(m.paid_amount)),
                "overdue_invoices": len(overdue),
                "overdue_amount": str(round_money(sum((o.amount for o in overdue), Decimal(0)))),
                # opening + disbursed − offset = closing, every month (the fund's advance)
                "prepayment_opening": _money(opening),
                "prepayment_disbursed": _money(disbursed),
                "prepayment_offset": _money(offset),
                "prepayment_closing": _money(closing),
                "fund_net_cash_out": _money(disbursed - offset),
                "fulfilment_percent": _percent(within_so_far, agreed_total),
            }
        )

    contract_rows: list[dict[str, Any]] = []
    purchased_within_agreed = 0
    for c in ordered:
        bought = purchased[(c.institution, c.group, c.enterprise)]
        purchased_within_agreed += min(bought, c.agreed_volume)
        contract_rows.append(
            {
                "institution": c.institution,
                "group": c.group,
                "enterprise": c.enterprise,
                "agreed_volume": c.agreed_volume,
                "purchased_volume": bought,
                "within_agreed_volume": min(bought, c.agreed_volume),
                "beyond_agreed_volume": max(0, bought - c.agreed_volume),
                "percent_complete": _percent(min(bought, c.agreed_volume), c.agreed_volume),
            }
        )
    unpaid = [o for o in orders if o.paid_on is None or o.paid_on > period_end]
    return {
        "agreement_start": agreement_start.isoformat(),
        "period_end": period_end.isoformat(),
        "settings": {
            "seed": settings.seed,
            "months": settings.months,
            "failure_probability": settings.failure_probability,
            "late_payment_probability": settings.late_payment_probability,
            "delivery_days": settings.delivery_days,
        },
        "months": month_rows,
        "contracts": contract_rows,
        "suppliers": [{"enterprise": e, **supplier_record[e]} for e in sorted(supplier_record)],
        "prepayments": [
            {
                "institution": i,
                "annual_contract_amount": _money(annual_amount[i]),
                "prepayment": _money(prepayment[i]),
                "offset_by_month": [_money(row.offset) for row in offsets[i]],
            }
            for i in institutions
        ],
        "summary": {
            "orders": len(orders),
            "supply_failures": sum(o.failed for o in orders),
            "backup_activations": sum(o.backup_activated for o in orders),
            "accepted_amount": str(
                round_money(sum((m.accepted_amount for m in months), Decimal(0)))
            ),
            "prepayment_total": _money(total_prepayment),
            "unpaid_at_period_end": len(unpaid),
            "overdue_at_period_end": sum(
                1 for o in unpaid if days_overdue(o.due_on, o.paid_on, period_end) > 0
            ),
            "fulfilment_percent": _percent(purchased_within_agreed, agreed_total),
        },
    }


def _order(
    rng: random.Random, c: Contract, m: _Month, volume: int, settings: YearSettings
) -> Order:
    ordered_on = _business_day_in(rng, m.start, m.end)
    deadline = delivery_deadline(ordered_on, settings.delivery_days)
    failed = rng.random() < settings.failure_probability
    supplier, price, backup_activated = c.enterprise, c.price, False
    if not failed:
        delivered_on = delivery_deadline(ordered_on, rng.randint(1, settings.delivery_days))
    elif c.backup is not None and c.backup_price is not None:
        # SPEC §9: the region's backup supplier is activated for the failed order.
        supplier, price, backup_activated = c.backup, c.backup_price, True
        delivered_on = delivery_deadline(deadline, rng.randint(1, settings.delivery_days))
    else:
        delivered_on = deadline + timedelta(days=rng.randint(1, 10))  # the winner, late
    accepted_on = delivered_on + timedelta(days=rng.randint(*settings.acceptance_delay_days))
    due_on = settlement_due_date(accepted_on)
    if rng.random() < settings.late_payment_probability:
        paid_on = due_on + timedelta(days=rng.randint(*settings.late_payment_days))
    else:
        paid_on = accepted_on + timedelta(days=rng.randint(1, max(1, (due_on - accepted_on).days)))
    return Order(
        month=m.index,
        institution=c.institution,
        group=c.group,
        enterprise=c.enterprise,
        volume=volume,
        ordered_on=ordered_on,
        deadline=deadline,
        supplier=supplier,
        price=price,
        delivered_on=delivered_on,
        failed=failed,
        backup_activated=backup_activated,
        accepted_on=accepted_on,
        amount=round_money(volume * price),
        due_on=due_on,
        paid_on=paid_on,
    )


def _month_index(months: Sequence[_Month], day: date) -> int | None:
    for k, m in enumerate(months):
        if m.start <= day <= m.end:
            return k
    return None


def _money(value: Decimal) -> str:
    return str(round_money(value))


def _percent(part: int, whole: int) -> str:
    return str(round_money(Decimal(part) * 100 / whole)) if whole else "0.00"


def contracts_from_outcome(
    outcome: Mapping[str, Any], regions: Mapping[str, str]
) -> list[Contract]:
    """The contracts of an outcome (SPEC §9: one per institution, winner, group), with each
    region's backup supplier and its price."""
    backups = {(r["group"], r["region"]): r["backup"] for r in outcome["regions"]}
    prices = {
        (g["id"], w["enterprise"]): Decimal(w["price"])
        for g in outcome["groups"]
        for w in g["winners"]
    }
    contracts = []
    for a in outcome["allocations"]:
        region = regions[a["institution"]]
        backup = backups.get((a["group"], region))
        if backup == a["enterprise"]:
            backup = None
        contracts.append(
            Contract(
                institution=a["institution"],
                group=a["group"],
                enterprise=a["enterprise"],
                region=region,
                agreed_volume=a["volume"],
                price=Decimal(a["price"]),
                backup=backup,
                backup_price=prices.get((a["group"], backup)) if backup else None,
            )
        )
    return contracts
