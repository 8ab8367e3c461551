"""The catalog of a round: groups, editable only while the round is a draft (SPEC §2)."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.service import Principal
from app.catalog.models import Group, QualityTier
from app.catalog.schemas import GroupCreate, GroupFields, GroupPublic, Representative
from app.concurrency import check_if_match
from app.errors import AlreadyExists, InvalidInput, NotFound
from app.rounds.access import load_round, require_state, rules_of, touch
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from solver.catalog import generic_name_problems

ENTITY = "group"


def entity_id(round_id: str, group_id: str) -> str:
    return f"{round_id}/{group_id}"


def to_public(row: Group) -> GroupPublic:
    return GroupPublic(
        id=row.id,
        generic_names=list(row.generic_names),
        form_family=row.form_family,
        representative=Representative(
            strength=row.representative_strength,
            strength_unit=row.representative_strength_unit,
            dosage_form=row.representative_dosage_form,
            fill_volume=row.representative_fill_volume,
            fill_unit=row.representative_fill_unit,
        ),
        ceiling=row.ceiling,
        pre_vbp_unit_price=row.pre_vbp_unit_price,
        ratio_table=row.ratio_table,
        eligible_quality=(
            None if row.eligible_quality is None else [QualityTier(q) for q in row.eligible_quality]
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apply(row: Group, data: GroupFields, now: datetime) -> None:
    rep = data.representative
    row.generic_names = list(data.generic_names)
    row.form_family = data.form_family
    row.representative_strength = rep.strength
    row.representative_strength_unit = rep.strength_unit
    row.representative_dosage_form = rep.dosage_form
    row.representative_fill_volume = rep.fill_volume
    row.representative_fill_unit = rep.fill_unit
    row.ceiling = data.ceiling
    row.pre_vbp_unit_price = data.pre_vbp_unit_price
    row.ratio_table = data.ratio_table
    row.eligible_quality = (
        None if data.eligible_quality is None else [q.value for q in data.eligible_quality]
    )
    row.updated_at = now


def _snapshot(row: Group) -> dict[str, object]:
    return audit.snapshot(to_public(row).model_dump(exclude={"created_at", "updated_at"}))


def list_groups(session: Session, round_id: str) -> list[Group]:
    return list(
        session.exec(select(Group).where(Group.round_id == round_id).order_by(col(Group.id)))
    )


def get_group(session: Session, round_id: str, group_id: str) -> Group:
    row = session.get(Group, (round_id, group_id))
    if row is None:
        raise NotFound(f"round {round_id!r} has no group {group_id!r}")
    return row


def _check_catalog(
    round_: Round, groups: Iterable[tuple[str, Sequence[str]]], *, field: str
) -> None:
    problems = generic_name_problems(groups, rules_of(round_).max_groups_per_generic)
    if problems:
        raise InvalidInput(
            "the catalog breaks the rule on groups per generic name",
            [(field, message) for message in problems],
        )


def add_groups(
    session: Session,
    round_: Round,
    groups: Sequence[GroupCreate],
    *,
    actor: Principal,
    now: datetime,
    field: str = "body.groups",
) -> list[Group]:
    """Add groups to a draft round (the caller holds the round's lock and bumps its version)."""
    require_state(round_, RoundState.draft, doing="change the catalog")
    existing = list_groups(session, round_.id)
    taken = {g.id for g in existing}
    seen: dict[str, int] = {}
    duplicates = []
    for i, g in enumerate(groups):
        if g.id in taken:
            duplicates.append((f"{field}[{i}].id", f"round {round_.id} already has group {g.id!r}"))
        elif g.id in seen:
            duplicates.append(
                (
                    f"{field}[{i}].id",
                    f"duplicate group id {g.id!r} (first at {field}[{seen[g.id]}])",
                )
            )
        seen.setdefault(g.id, i)
    if duplicates:
        if len(groups) == 1 and groups[0].id in taken:
            raise AlreadyExists(f"round {round_.id} already has group {groups[0].id!r}")
        raise InvalidInput("duplicate group ids", duplicates)
    _check_catalog(
        round_,
        [(g.id, g.generic_names) for g in existing] + [(g.id, g.generic_names) for g in groups],
        field=field,
    )
    rows = []
    for g in groups:
        row = Group(round_id=round_.id, id=g.id, created_at=now)  # type: ignore[call-arg]
        _apply(row, g, now)
        session.add(row)
        rows.append(row)
    session.flush()
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="create",
        entity_type=ENTITY,
        round_id=round_.id,
        changes=[audit.Change(entity_id(round_.id, row.id), None, _snapshot(row)) for row in rows],
    )
    return rows


def add_group(
    session: Session,
    *,
    round_id: str,
    data: GroupCreate,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[Round, Group]:
    round_ = load_round(session, round_id, lock="update")
    check_if_match(if_match, round_.version, what=f"round {round_id}")
    (row,) = add_groups(session, round_, [data], actor=actor, now=now, field="body.generic_names")
    touch(round_, now)
    session.add(round_)
    session.flush()
    return round_, row


def replace_group(
    session: Session,
    *,
    round_id: str,
    group_id: str,
    data: GroupFields,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[Round, Group]:
    round_ = load_round(session, round_id, lock="update")
    row = get_group(session, round_id, group_id)
    check_if_match(if_match, round_.version, what=f"round {round_id}")
    require_state(round_, RoundState.draft, doing="change the catalog")
    others = [(g.id, g.generic_names) for g in list_groups(session, round_id) if g.id != group_id]
    _check_catalog(round_, [*others, (group_id, data.generic_names)], field="body.generic_names")
    before = _snapshot(row)
    _apply(row, data, now)
    touch(round_, now)
    session.add_all([row, round_])
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="update",
        entity_type=ENTITY,
        entity_id=entity_id(round_id, group_id),
        round_id=round_id,
        before=before,
        after=_snapshot(row),
    )
    return round_, row


def remove_group(
    session: Session,
    *,
    round_id: str,
    group_id: str,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> Round:
    round_ = load_round(session, round_id, lock="update")
    row = get_group(session, round_id, group_id)
    check_if_match(if_match, round_.version, what=f"round {round_id}")
    require_state(round_, RoundState.draft, doing="change the catalog")
    before = _snapshot(row)
    session.delete(row)
    touch(round_, now)
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="delete",
        entity_type=ENTITY,
        entity_id=entity_id(round_id, group_id),
        round_id=round_id,
        before=before,
    )
    return round_
