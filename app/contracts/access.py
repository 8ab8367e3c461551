"""Reading contracts with the viewer's scope: an institution sees the contracts it buys
under, an enterprise those it won, the bureau every one; anything else is not found."""

from typing import Any

from sqlmodel import Session, col, func, select

from app.auth.models import Role
from app.auth.service import Principal
from app.contracts.models import Contract
from app.errors import InvalidInput, NotFound
from app.rounds.models import Round


def can_see(viewer: Principal | None, contract: Contract) -> bool:
    if viewer is None or viewer.role is Role.bureau:
        return True
    if viewer.role is Role.institution:
        return contract.institution_id == viewer.actor_id
    return contract.enterprise_id == viewer.actor_id


def scoped(query: Any, viewer: Principal | None) -> Any:
    """Only the viewer's contracts (None or the bureau: every contract)."""
    if viewer is None:
        return query
    if viewer.role is Role.institution:
        return query.where(col(Contract.institution_id) == viewer.actor_id)
    if viewer.role is Role.enterprise:
        return query.where(col(Contract.enterprise_id) == viewer.actor_id)
    return query


def get_contract(session: Session, contract_id: int, *, viewer: Principal | None) -> Contract:
    row = session.get(Contract, contract_id)
    if row is None or not can_see(viewer, row):
        raise NotFound(f"no contract {contract_id}")
    return row


def list_contracts(
    session: Session,
    *,
    viewer: Principal | None,
    round_id: str | None = None,
    year: int | None = None,
    institution_id: str | None = None,
    enterprise_id: str | None = None,
    group_id: str | None = None,
    region: str | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> tuple[list[Contract], int | None]:
    """The viewer's contracts that match every given filter, by id; with `limit`, one page
    and the cursor of the next."""
    query = scoped(select(Contract), viewer)
    for column, value in (
        (Contract.round_id, round_id),
        (Contract.year, year),
        (Contract.institution_id, institution_id),
        (Contract.enterprise_id, enterprise_id),
        (Contract.group_id, group_id),
        (Contract.region, region),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if after_id is not None:
        query = query.where(col(Contract.id) > after_id)
    query = query.order_by(col(Contract.id))
    if limit is None:
        return list(session.exec(query)), None
    rows = list(session.exec(query.limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


def current_year(session: Session, round_id: str) -> int | None:
    """The latest agreement year with contracts (None before publication)."""
    value = session.exec(
        select(func.max(Contract.year)).where(col(Contract.round_id) == round_id)
    ).one()
    return int(value) if value is not None else None


def resolve_year(session: Session, round_: Round, year: int | None, *, field: str) -> int:
    """`year` checked against the round's contracts, or (None) the current agreement year."""
    latest = current_year(session, round_.id)
    if latest is None:
        raise NotFound(f"round {round_.id} has no contracts: its results are not published")
    if year is None:
        return latest
    if not 1 <= year <= latest:
        raise InvalidInput(
            "no such agreement year",
            [(field, f"round {round_.id} has agreement years 1 to {latest}")],
        )
    return year
