"""Sealed bids: submission, amendment, withdrawal and the views of them (SPEC §4–§5, §10).

- An enterprise submits while the round is `bidding_open` and the clock is inside the bidding
  window (otherwise 409: late bids are refused). One live bid per enterprise per group: a new
  submission replaces the earlier one; every version is kept (app.bids.models). An enterprise
  whose credit level the round's rule set bars (serious, particularly serious) is refused.
- Each submission gets a receipt with the SHA-256 commitment of its canonical content and a
  random nonce (app.bids.commitment).
- Sealed means sealed: before the bids are opened (bidding_open → bids_opened, only after the
  bidding window closed) no read path shows a price, a product, a capacity, a nonce or a
  commitment to anyone but the submitting enterprise. The bureau sees who bid in which group
  and when; institutions see nothing. Audit events of bids are redacted (below), and error
  messages never repeat a price.
- After opening, everyone authorised sees the live bids with prices beside commitments and
  nonces, so each enterprise can check that its bid was not altered.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors.models import Enterprise
from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import Principal
from app.bids import commitment as commit
from app.bids.models import Bid, BidAction
from app.bids.schemas import (
    BidFields,
    BidListItem,
    BidStatus,
    BidVersion,
    ProductPublic,
    Receipt,
)
from app.catalog.models import Group
from app.concurrency import check_if_match
from app.credit import service as credit
from app.errors import Conflict, InvalidInput, NotFound, WrongState
from app.rounds.access import check_window, load_round, rules_of
from app.rounds.lifecycle import RoundState, at_or_after
from app.rounds.models import Round
from solver import document
from solver.pricing import unit_comparable_price
from solver.rules import RuleSet
from solver.units import UnitError, fill_unit_family, strength_unit_family

ENTITY = "bid"
# Everything of a bid but who, where, when and which version is sealed in the audit trail.
SEALED_FIELDS = (
    "product",
    "pack_price",
    "capacity",
    "accept_revival",
    "nonce",
    "commitment",
    "canonical",
    "unit_comparable_price",
)
audit.register_redactor(ENTITY, audit.redact_fields(*SEALED_FIELDS))


class CreditBarred(Conflict):
    """SPEC §9: a serious or particularly serious credit rating bars an enterprise's bids."""

    slug, title = "credit-barred", "Barred by credit rating"


def entity_id(round_id: str, enterprise_id: str, group_id: str) -> str:
    return f"{round_id}/{enterprise_id}/{group_id}"


def bids_are_open(r: Round) -> bool:
    """Opened (SPEC §5): the round reached bids_opened. A round cancelled before opening stays
    sealed; so does one cancelled after it (the service does not know which it was)."""
    return at_or_after(r.state, RoundState.bids_opened)


def check_bidding_window(r: Round, now: datetime) -> None:
    """SPEC §5, §10: bids only while bidding is open and the clock is inside the window."""
    check_window(
        r, now, state=RoundState.bidding_open, opens_at=r.bidding_opens_at,
        closes_at=r.bidding_closes_at, what="bids", late="; late bids are refused",
    )  # fmt: skip


def document_group(g: Group) -> document.Group:
    """A catalog group as the engine's document group."""
    return document.Group(
        id=g.id,
        generic_names=tuple(g.generic_names),
        form_family=g.form_family,
        representative=document.Representative(
            strength=g.representative_strength,
            strength_unit=g.representative_strength_unit,
            dosage_form=g.representative_dosage_form,
            fill_volume=g.representative_fill_volume,
            fill_unit=g.representative_fill_unit,
        ),
        ceiling=g.ceiling,
        pre_vbp_unit_price=g.pre_vbp_unit_price,
        ratio_table=g.ratio_table.value,
        eligible_quality=None if g.eligible_quality is None else tuple(g.eligible_quality),  # type: ignore[arg-type]
    )


def product_dict(row: "Bid | StoredBid") -> dict[str, Any]:
    return {
        "strength": row.strength,
        "strength_unit": row.strength_unit,
        "units_per_pack": row.units_per_pack,
        "dosage_form": row.dosage_form,
        "quality": None if row.quality is None else row.quality.value,
        "fill_volume": row.fill_volume,
        "fill_unit": row.fill_unit,
    }


def document_bid(row: Bid) -> document.Bid:
    """A stored submission as the engine's document bid."""
    assert row.pack_price is not None and row.capacity is not None
    product = {k: v for k, v in product_dict(row).items() if v is not None}
    return document.Bid(
        enterprise=row.enterprise_id,
        group=row.group_id,
        product=document.Product.model_validate(product),
        pack_price=row.pack_price,
        capacity=row.capacity,
        submitted_at=row.submitted_at,
        accept_revival=bool(row.accept_revival),
    )


def canonical_of(row: Bid) -> str:
    assert row.action is BidAction.submit
    assert row.nonce is not None and row.pack_price is not None and row.capacity is not None
    return commit.canonical_bid(
        round_id=row.round_id,
        enterprise_id=row.enterprise_id,
        group_id=row.group_id,
        version=row.version,
        nonce=row.nonce,
        submitted_at=row.submitted_at,
        product=product_dict(row),
        pack_price=row.pack_price,
        capacity=row.capacity,
        accept_revival=bool(row.accept_revival),
    )


def _unit_problems(data: BidFields, group: Group) -> list[tuple[str, str]]:
    """The product must be comparable with the group's representative (SPEC §4)."""
    problems: list[tuple[str, str]] = []
    try:
        if strength_unit_family(data.product.strength_unit) != strength_unit_family(
            group.representative_strength_unit
        ):
            problems.append(
                (
                    "body.product.strength_unit",
                    f"{data.product.strength_unit!r} cannot be compared with the "
                    f"representative's {group.representative_strength_unit!r}",
                )
            )
    except UnitError as exc:
        problems.append(("body.product.strength_unit", str(exc)))
    if group.representative_fill_volume is not None:
        if data.product.fill_volume is None:
            problems.append(
                (
                    "body.product.fill_volume",
                    f"group {group.id!r} is a liquid: give fill_volume and fill_unit",
                )
            )
        elif data.product.fill_unit is not None and group.representative_fill_unit is not None:
            try:
                same = fill_unit_family(data.product.fill_unit) == fill_unit_family(
                    group.representative_fill_unit
                )
            except UnitError as exc:
                problems.append(("body.product.fill_unit", str(exc)))
            else:
                if not same:
                    problems.append(
                        (
                            "body.product.fill_unit",
                            f"{data.product.fill_unit!r} cannot be compared with the "
                            f"representative's {group.representative_fill_unit!r}",
                        )
                    )
    return problems


def _check_content(data: BidFields, group: Group, rules: RuleSet) -> None:
    problems = _unit_problems(data, group)
    if data.capacity > rules.max_unit_volume:
        problems.append(("body.capacity", f"exceeds max_unit_volume {rules.max_unit_volume}"))
    if problems:
        raise InvalidInput("invalid bid", problems)


# Everything a new version of a bid depends on, read in one round trip (bids are the service's
# most frequent write): the round, locked FOR SHARE as `load_round(lock="share")` locks it (a
# transition waits for the bids being written, and they for it); the group; the enterprise and
# what its credit bar depends on.
# Writers of one bid take turns (PostgreSQL: a transaction-level advisory lock on the bid's
# key, a single 64-bit key apart from the two-key locks of imports and awards). Without it,
# under READ COMMITTED, an UPDATE that waited for another writer's row lock re-checks only the
# row it had found: if that writer replaced the version, the UPDATE finds nothing and does not
# see the new one, so racing amendments got a false 404 instead of 412, and racing first bids
# collided on version 1. Submissions take the turn in the statement that reads their context
# (no round trip more); a withdrawal in a statement of its own.
_BID_TURN_EXPR = sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(sa.bindparam("bid_key"), 0))
_BID_TURN = sa.select(_BID_TURN_EXPR)


def _bid_key(round_id: str, enterprise_id: str, group_id: str) -> str:
    return f"{round_id}\x1f{enterprise_id}\x1f{group_id}"


_CONTEXT: sa.Select[*tuple[Any, ...]] = (
    sa.select(
        Round,
        Group,
        col(Enterprise.id).label("enterprise_id"),
        col(Enterprise.credit_level),
        credit.has_ratings(col(Enterprise.id)).label("rated"),
    )
    .outerjoin(
        Group,
        sa.and_(col(Group.round_id) == col(Round.id), col(Group.id) == sa.bindparam("group_id")),
    )
    .outerjoin(Enterprise, col(Enterprise.id) == sa.bindparam("enterprise_id"))
    .where(col(Round.id) == sa.bindparam("round_id"))
    .with_for_update(read=True, of=Round)
    # another transaction may have changed the round while we waited for the lock
    .execution_options(populate_existing=True)
)
# PostgreSQL: the same, taking the turn on the bid (`_BID_TURN`) in the same statement
_CONTEXT_TAKING_TURN = _CONTEXT.add_columns(_BID_TURN_EXPR.label("turn"))


def _context(
    session: Session, round_id: str, group_id: str, enterprise_id: str
) -> tuple[Round, Group | None, credit.CreditFacts | None]:
    """The round (or 404), the group (None if the round has none of that id) and the
    enterprise's credit facts (None if there is no such enterprise); on PostgreSQL the turn
    on the bid, held to the end of the transaction."""
    postgresql = session.connection().dialect.name == "postgresql"
    found = session.exec(  # type: ignore[call-overload]
        _CONTEXT_TAKING_TURN if postgresql else _CONTEXT,
        params={
            "round_id": round_id,
            "group_id": group_id,
            "enterprise_id": enterprise_id,
            "bid_key": _bid_key(round_id, enterprise_id, group_id),
        },
    ).one_or_none()
    if found is None:
        raise NotFound(f"no round {round_id!r}")
    if found.enterprise_id is None:
        return found.Round, found.Group, None
    level = found.credit_level
    facts = credit.CreditFacts(None if level is None else level.value, bool(found.rated))
    return found.Round, found.Group, facts


def _check_credit(
    session: Session, enterprise_id: str, r: Round, facts: credit.CreditFacts | None
) -> None:
    """SPEC §9: serious and particularly serious ratings bar the enterprise's bids in rounds
    that open for bidding during the bar (judged on the round's opening day, its rule set)."""
    if facts is None:  # a token outlives nothing it names
        raise NotFound(f"no enterprise {enterprise_id!r}")
    if credit.is_barred_in_round(session, enterprise_id, r, facts):
        level = credit.credit_level_in_round(session, enterprise_id, r)
        raise CreditBarred(
            f"enterprise {enterprise_id} is rated {level} in the credit evaluation "
            "(医药价格和招采信用评价) and is barred from bidding in this round (SPEC §9)",
            credit_level=level,
        )


def _current(session: Session, round_id: str, enterprise_id: str, group_id: str) -> Bid | None:
    query = select(Bid).where(
        Bid.round_id == round_id,
        Bid.enterprise_id == enterprise_id,
        Bid.group_id == group_id,
        col(Bid.current).is_(True),
    )
    return session.exec(query).one_or_none()


def _audit_view(row: "Bid | StoredBid") -> dict[str, Any]:
    """The audit payload; the redactor seals everything in SEALED_FIELDS."""
    view: dict[str, Any] = {
        "group": row.group_id,
        "enterprise": row.enterprise_id,
        "version": row.version,
        "action": row.action.value,
        "submitted_at": row.submitted_at,
    }
    if row.action is BidAction.submit:
        view |= {
            "product": product_dict(row),
            "pack_price": row.pack_price,
            "capacity": row.capacity,
            "accept_revival": row.accept_revival,
            "commitment": row.commitment,
        }
    return view


_BIDS: sa.Table = Bid.__table__  # type: ignore[attr-defined]
# The current version, no longer current, in one statement that also locks and returns it: two
# writers of one bid take turns here (PostgreSQL; SQLite has one writer at a time anyway).
_RETIRE_CURRENT = (
    sa.update(_BIDS)
    .where(
        _BIDS.c.round_id == sa.bindparam("b_round"),
        _BIDS.c.enterprise_id == sa.bindparam("b_enterprise"),
        _BIDS.c.group_id == sa.bindparam("b_group"),
        _BIDS.c.current.is_(True),
    )
    .values(current=False)
    .returning(*_BIDS.c)
)
_COLUMNS = tuple(c.name for c in _BIDS.c if c.name != "id")
# A stored version as the database returned it: the columns of `Bid` as attributes, read
# only. No ORM object is made for a version that is only looked at once.
StoredBid = sa.Row[Any]


def _retire_current(
    session: Session, round_id: str, enterprise_id: str, group_id: str
) -> StoredBid | None:
    """The enterprise's current version in the group, now marked replaced (the caller appends
    the new one with `_insert_recorded`, or fails and the transaction rolls back); None if it
    has none. The caller has its turn on the bid (`_BID_TURN`), so this statement, begun
    after it, sees the latest version."""
    return (
        session.connection()
        .execute(
            _RETIRE_CURRENT,
            {"b_round": round_id, "b_enterprise": enterprise_id, "b_group": group_id},
        )
        .one_or_none()
    )


def _insert_recorded(
    session: Session,
    row: Bid,
    *,
    actor: Principal,
    action: str,
    previous: "StoredBid | None",
) -> None:
    """Write the new version and its audit event (one statement where the database allows).
    Two concurrent first writers of one bid collide on the version number: the request fails
    with 409 and its transaction is rolled back whole (so no savepoint is needed)."""
    try:
        audit.record_now(
            session,
            actor=actor,
            now=row.submitted_at,
            action=action,
            entity_type=ENTITY,
            entity_id=entity_id(row.round_id, row.enterprise_id, row.group_id),
            round_id=row.round_id,
            before=None if previous is None else _audit_view(previous),
            after=_audit_view(row),
            along_with=(_BIDS, {name: getattr(row, name) for name in _COLUMNS}),
        )
    except IntegrityError:
        raise Conflict(
            f"another change to the bid of {row.enterprise_id} in group {row.group_id} "
            "happened at the same time; read it and try again"
        ) from None


def new_submission(
    *,
    round_id: str,
    enterprise_id: str,
    group_id: str,
    version: int,
    data: BidFields,
    submitted_at: datetime,
    submitted_by: str,
) -> Bid:
    row = Bid(
        round_id=round_id,
        group_id=group_id,
        enterprise_id=enterprise_id,
        version=version,
        action=BidAction.submit,
        current=True,
        strength=data.product.strength,
        strength_unit=data.product.strength_unit,
        units_per_pack=data.product.units_per_pack,
        dosage_form=data.product.dosage_form,
        quality=data.product.quality,
        fill_volume=data.product.fill_volume,
        fill_unit=data.product.fill_unit,
        pack_price=data.pack_price,
        capacity=data.capacity,
        accept_revival=data.accept_revival,
        nonce=commit.new_nonce(),
        submitted_at=submitted_at,
        submitted_by=submitted_by,
    )
    row.commitment = commit.commitment_of(canonical_of(row))
    return row


def submit(
    session: Session,
    *,
    round_id: str,
    group_id: str,
    data: BidFields,
    if_match: str | None,
    amend: bool,
    actor: Principal,
    now: datetime,
) -> tuple[Bid, Decimal]:
    """A new version of the caller's bid in `group_id` (a first bid, a replacement, or with
    `amend` an amendment of a live bid). Returns it and its unit comparable price."""
    enterprise_id = actor.actor_id
    assert enterprise_id is not None
    r, group, facts = _context(session, round_id, group_id, enterprise_id)
    check_bidding_window(r, now)
    if group is None:
        if amend:
            raise NotFound(f"round {round_id!r} has no group {group_id!r}")
        raise InvalidInput(
            "invalid bid", [("body.group", f"round {round_id} has no group {group_id!r}")]
        )
    rules = rules_of(r)
    _check_credit(session, enterprise_id, r, facts)
    _check_content(data, group, rules)
    previous = _retire_current(session, round_id, enterprise_id, group_id)
    if amend and (previous is None or previous.action is not BidAction.submit):
        raise NotFound(f"enterprise {enterprise_id} has no live bid in group {group_id!r}")
    if previous is not None:
        check_if_match(if_match, previous.version, what=f"the bid in group {group_id}")
    row = new_submission(
        round_id=round_id,
        enterprise_id=enterprise_id,
        group_id=group_id,
        version=1 if previous is None else previous.version + 1,
        data=data,
        submitted_at=now,
        submitted_by=actor.token_name,
    )
    ucp = unit_comparable_price(document_bid(row), document_group(group), rules)
    if amend:
        action = "amend"
    elif previous is not None and previous.action is BidAction.submit:
        action = "replace"
    else:
        action = "submit"
    _insert_recorded(session, row, actor=actor, action=action, previous=previous)
    return row, ucp


def withdraw(
    session: Session,
    *,
    round_id: str,
    group_id: str,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Bid:
    """SPEC §4: withdrawal before the deadline; recorded as a version without content."""
    enterprise_id = actor.actor_id
    assert enterprise_id is not None
    r = load_round(session, round_id, lock="share")
    check_bidding_window(r, now)
    if session.connection().dialect.name == "postgresql":
        session.connection().execute(
            _BID_TURN, {"bid_key": _bid_key(round_id, enterprise_id, group_id)}
        )
    previous = _retire_current(session, round_id, enterprise_id, group_id)
    if previous is None or previous.action is not BidAction.submit:
        raise NotFound(f"enterprise {enterprise_id} has no live bid in group {group_id!r}")
    check_if_match(if_match, previous.version, what=f"the bid in group {group_id}")
    row = Bid(
        round_id=round_id,
        group_id=group_id,
        enterprise_id=enterprise_id,
        version=previous.version + 1,
        action=BidAction.withdraw,
        current=True,
        submitted_at=now,
        submitted_by=actor.token_name,
    )
    _insert_recorded(session, row, actor=actor, action="withdraw", previous=previous)
    return row


# -- reading -----------------------------------------------------------------------------------


def _product(row: Bid) -> ProductPublic | None:
    if row.action is not BidAction.submit:
        return None
    return ProductPublic.model_validate(product_dict(row))


def _version_fields(row: Bid) -> dict[str, Any]:
    submitted = row.action is BidAction.submit
    return {
        "round_id": row.round_id,
        "group": row.group_id,
        "enterprise": row.enterprise_id,
        "version": row.version,
        "status": _status(row),
        "submitted_at": row.submitted_at,
        "submitted_by": row.submitted_by,
        "product": _product(row),
        "pack_price": row.pack_price,
        "capacity": row.capacity,
        "accept_revival": row.accept_revival,
        "nonce": row.nonce,
        "commitment": row.commitment,
        "canonical": canonical_of(row) if submitted else None,
    }


def to_version(row: Bid) -> BidVersion:
    """A version of the caller's own bid, in full."""
    return BidVersion(**_version_fields(row))


def to_receipt(row: Bid, ucp: Decimal) -> Receipt:
    return Receipt(**_version_fields(row), scheme=commit.SCHEME, unit_comparable_price=ucp)


def own_bid(session: Session, *, round_id: str, group_id: str, actor: Principal) -> Bid:
    """The caller's current version in the group (live or withdrawn), or 404."""
    assert actor.actor_id is not None
    load_round(session, round_id)
    row = _current(session, round_id, actor.actor_id, group_id)
    if row is None:
        raise NotFound(f"enterprise {actor.actor_id} has no bid in group {group_id!r}")
    return row


def own_versions(session: Session, *, round_id: str, group_id: str, actor: Principal) -> list[Bid]:
    assert actor.actor_id is not None
    load_round(session, round_id)
    rows = list(
        session.exec(
            select(Bid)
            .where(
                Bid.round_id == round_id,
                Bid.enterprise_id == actor.actor_id,
                Bid.group_id == group_id,
            )
            .order_by(col(Bid.version))
        )
    )
    if not rows:
        raise NotFound(f"enterprise {actor.actor_id} has no bid in group {group_id!r}")
    return rows


def _status(row: Bid) -> BidStatus:
    if not row.current:
        return "replaced"
    return "live" if row.action is BidAction.submit else "withdrawn"


def _sealed_item(row: Bid) -> BidListItem:
    return BidListItem(
        round_id=row.round_id,
        group=row.group_id,
        enterprise=row.enterprise_id,
        status=_status(row),
        submitted_at=row.submitted_at,
        sealed=True,
    )


def _open_item(row: Bid, ucp: Decimal | None) -> BidListItem:
    submitted = row.action is BidAction.submit
    return BidListItem(
        round_id=row.round_id,
        group=row.group_id,
        enterprise=row.enterprise_id,
        status=_status(row),
        submitted_at=row.submitted_at,
        sealed=False,
        version=row.version,
        product=_product(row),
        pack_price=row.pack_price,
        capacity=row.capacity,
        accept_revival=row.accept_revival,
        unit_comparable_price=ucp,
        nonce=row.nonce,
        commitment=row.commitment,
        canonical=canonical_of(row) if submitted else None,
    )


def list_bids(
    session: Session,
    *,
    round_id: str,
    viewer: Principal,
    group_id: str | None,
    all_versions: bool,
    after_id: int | None,
    limit: int,
) -> tuple[list[BidListItem], int | None]:
    """The round's current bids as `viewer` may see them (see the module docstring); with
    `all_versions` every version (replaced ones too), e.g. for the bureau to review the
    amendments once the bids are opened. Opening publishes the final bids (SPEC §5): the
    versions an enterprise replaced stay its own and the bureau's to read."""
    r = load_round(session, round_id)
    opened = bids_are_open(r)
    if not opened and viewer.role is Role.institution:
        raise WrongState(
            f"the bids of round {round_id} are sealed until they are opened "
            f"(the round is {r.state.value})",
            state=r.state.value,
        )
    query = select(Bid).where(Bid.round_id == round_id)
    if not all_versions or viewer.role is Role.institution:
        query = query.where(col(Bid.current).is_(True))
    elif viewer.role is Role.enterprise:
        query = query.where(
            sa.or_(col(Bid.current).is_(True), col(Bid.enterprise_id) == viewer.actor_id)
        )
    if not opened and viewer.role is Role.enterprise:
        query = query.where(Bid.enterprise_id == viewer.actor_id)
    if group_id is not None:
        query = query.where(Bid.group_id == group_id)
    if after_id is not None:
        query = query.where(col(Bid.id) > after_id)
    rows: Sequence[Bid] = list(session.exec(query.order_by(col(Bid.id)).limit(limit + 1)))
    last = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1].id
    if opened or viewer.role is Role.enterprise:
        rules = rules_of(r)
        groups = {
            g.id: document_group(g)
            for g in session.exec(select(Group).where(Group.round_id == round_id))
        }
        items = [
            _open_item(
                row,
                unit_comparable_price(document_bid(row), groups[row.group_id], rules)
                if row.action is BidAction.submit
                else None,
            )
            for row in rows
        ]
    else:
        items = [_sealed_item(row) for row in rows]
    return items, last


def live_bids(session: Session, round_id: str) -> list[Bid]:
    """Every live bid of the round (the current version is a submission), for export."""
    return list(
        session.exec(
            select(Bid)
            .where(
                Bid.round_id == round_id,
                col(Bid.current).is_(True),
                Bid.action == BidAction.submit,
            )
            .order_by(col(Bid.group_id), col(Bid.enterprise_id))
        )
    )
