"""Demand reports, their review, and base volumes (采购量基数), SPEC §3.

- An institution reports per group while the round is `demand_open` and the clock is inside
  the demand window (otherwise 409). A report is flagged iff reported < demand_floor_ratio ×
  last_year_usage, exactly (a usage of 0 is never flagged); a flagged report awaits review
  (`pending`). Reporting again replaces the report and clears an earlier review.
- The bureau reviews a report (accept / adjust / reject, with a reason) until demand is locked.
- Locking (demand_open → demand_locked) fixes each report's base volume:
  accepted → the report (flag `below_floor_accepted` if it was below the floor);
  adjusted → the adjusted value (flag `below_floor_accepted` if it is below the floor);
  not reviewed → the rule set's `below_floor_policy` (`raise`: ceil(floor × usage), flag
  `below_floor_raised`; `accept`: the report, flag `below_floor_accepted`); rejected → no
  figure of the institution stands, so the floor rule gives the base: ceil(floor × usage),
  flag `below_floor_raised` (0 and no flag when usage is 0), whatever the policy (the policy
  keeps a figure nobody reviewed; a rejected one is refused). SPEC §3 lists reject among the
  answers to a report below the floor, and the floor is what the rule guarantees: a bureau
  that refuses a figure does not mean to leave the institution without the drug. To void a
  line, adjust it to 0.
"""

import operator
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.actors.models import Enterprise, Institution
from app.audit import service as audit
from app.auth.service import Principal
from app.bulk_write import Columns, bulk_insert_chunks, bulk_update
from app.catalog.models import Group
from app.concurrency import check_if_match
from app.demand.bulk import Line, LineChecker, named_enterprises
from app.demand.models import BaseFlag, DemandReport, ReviewStatus
from app.demand.schemas import BulkResult, DemandFields, ReviewRequest
from app.errors import FieldError, InvalidInput, NotFound, PreconditionFailed
from app.rounds.access import check_window, load_round, require_state, rules_of
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from solver.demand import is_below_floor, reviewed_base_volume
from solver.rules import RuleSet

ENTITY = "demand_report"
# lines of a bulk upload checked (and their new reports sent to the database) at a time
_CHECK_CHUNK = 500
TABLE = DemandReport.__table__  # type: ignore[attr-defined]
_GROUP = operator.attrgetter("group")
_REPORTED = operator.attrgetter("reported")
_USAGE = operator.attrgetter("last_year_usage")
_PREFERRED = operator.attrgetter("preferred_enterprise")
# fields of a report that the audit trail shows: always these ...
_AUDITED = ("reported", "last_year_usage", "preferred_enterprise_id", "flagged", "review_status")
# ... and these when set (a review, a base volume)
_AUDITED_IF_SET = (
    "adjusted_volume",
    "review_reason",
    "reviewed_by",
    "base_volume",
    "base_flag",
)


def entity_id(round_id: str, institution_id: str, group_id: str) -> str:
    return f"{round_id}/{institution_id}/{group_id}"


def audited_state(values: Any) -> dict[str, Any]:
    """The audited fields of a report (a row, or a mapping of column values)."""
    get = values.get if isinstance(values, Mapping) else lambda k: getattr(values, k)
    out = {k: get(k) for k in _AUDITED}
    for k in _AUDITED_IF_SET:
        value = get(k)
        if value is not None:
            out[k] = value
    for k in ("review_status", "base_flag"):
        if out.get(k) is not None:
            out[k] = getattr(out[k], "value", out[k])
    return out


def check_demand_window(r: Round, now: datetime) -> None:
    """SPEC §10: reports only while demand is open and the clock is inside the window."""
    check_window(
        r, now, state=RoundState.demand_open, opens_at=r.demand_opens_at,
        closes_at=r.demand_closes_at, what="demand reports",
    )  # fmt: skip


_INSTITUTIONS = Institution.__table__  # type: ignore[attr-defined]


def _take_turns(session: Session, institution_id: str) -> None:
    """An institution's demand writes take turns (PostgreSQL: its row FOR NO KEY UPDATE, which
    the foreign-key checks of the institution's other rows, taking KEY SHARE, do not wait for;
    SQLite already has one writer at a time). Without it, two uploads of the same new lines
    at once (a double click, a retry) both find no report and the second fails on the first
    one's rows. It also keeps the institution in place while its reports are written (they
    have no foreign key to it)."""
    session.execute(
        core_select(_INSTITUTIONS.c.id)
        .where(_INSTITUTIONS.c.id == institution_id)
        .with_for_update(key_share=True)
    )


def _known_enterprises(session: Session, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(session.exec(select(Enterprise.id).where(col(Enterprise.id).in_(chunk))).all())
    return found


def get_report(
    session: Session,
    *,
    round_id: str,
    institution_id: str,
    group_id: str,
    viewer: Principal,
    for_update: bool = False,
) -> DemandReport:
    """404 for a missing report, and for another institution's."""
    if viewer.role.value == "institution" and viewer.actor_id != institution_id:
        raise NotFound(f"no demand report of institution {institution_id!r} in group {group_id!r}")
    query = select(DemandReport).where(
        DemandReport.round_id == round_id,
        DemandReport.institution_id == institution_id,
        DemandReport.group_id == group_id,
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.exec(query).one_or_none()
    if row is None:
        load_round(session, round_id)  # 404 names the round when it is the round that is missing
        raise NotFound(f"no demand report of institution {institution_id!r} in group {group_id!r}")
    return row


def report_demand(
    session: Session,
    *,
    round_id: str,
    group_id: str,
    data: DemandFields,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> tuple[DemandReport, bool]:
    """The institution's report for one group; returns it and whether it is new."""
    institution_id = actor.actor_id
    assert institution_id is not None
    r = load_round(session, round_id, lock="share")
    _take_turns(session, institution_id)
    if session.get(Group, (round_id, group_id)) is None:
        raise NotFound(f"round {round_id!r} has no group {group_id!r}")
    check_demand_window(r, now)
    rules = rules_of(r)
    problems = [
        (f"body.{f}", f"exceeds max_unit_volume {rules.max_unit_volume}")
        for f in ("reported", "last_year_usage")
        if getattr(data, f) > rules.max_unit_volume
    ]
    if data.preferred_enterprise is not None and not _known_enterprises(
        session, [data.preferred_enterprise]
    ):
        problems.append(
            ("body.preferred_enterprise", f"unknown enterprise {data.preferred_enterprise!r}")
        )
    if problems:
        raise InvalidInput("invalid demand report", problems)

    row = session.exec(
        select(DemandReport)
        .where(
            DemandReport.round_id == round_id,
            DemandReport.institution_id == institution_id,
            DemandReport.group_id == group_id,
        )
        .with_for_update()
    ).one_or_none()
    flagged = is_below_floor(data.reported, data.last_year_usage, rules.demand_floor_ratio)
    if row is None:
        if if_match is not None:
            raise PreconditionFailed(
                f"If-Match {if_match} given, but there is no report for group {group_id!r} yet"
            )
        row = DemandReport(
            round_id=round_id,
            institution_id=institution_id,
            group_id=group_id,
            reported=data.reported,
            last_year_usage=data.last_year_usage,
            preferred_enterprise_id=data.preferred_enterprise,
            flagged=flagged,
            review_status=ReviewStatus.pending if flagged else None,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            now=now,
            action="report",
            entity_type=ENTITY,
            entity_id=entity_id(round_id, institution_id, group_id),
            round_id=round_id,
            after=audited_state(row),
        )
        return row, True

    check_if_match(if_match, row.version, what=f"the report for group {group_id}")
    if (row.reported, row.last_year_usage, row.preferred_enterprise_id) == (
        data.reported,
        data.last_year_usage,
        data.preferred_enterprise,
    ):
        return row, False  # the same report again: nothing changes
    before = audited_state(row)
    row.reported = data.reported
    row.last_year_usage = data.last_year_usage
    row.preferred_enterprise_id = data.preferred_enterprise
    row.flagged = flagged
    # a new report needs a new review
    row.review_status = ReviewStatus.pending if flagged else None
    row.adjusted_volume = row.review_reason = row.reviewed_by = row.reviewed_at = None
    row.version += 1
    row.updated_at = now
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="report",
        entity_type=ENTITY,
        entity_id=entity_id(round_id, institution_id, group_id),
        round_id=round_id,
        before=before,
        after=audited_state(row),
    )
    return row, False


def bulk_report(
    session: Session,
    *,
    round_id: str,
    rows: list[tuple[int, dict[str, Any]]],
    parse_errors: list[FieldError],
    text: bool,
    max_lines: int,
    actor: Principal,
    now: datetime,
) -> BulkResult:
    """Many reports of one institution at once: all or nothing.

    The lines are checked a chunk at a time, and the new reports of each good chunk are sent
    to the database at once (PostgreSQL inserts them while the next chunk is checked). The
    first bad line stops the writing but not the checking; at the end, any problem abandons
    everything written and every problem is reported. The price of the overlap: the
    institution's earlier reports are locked (FOR UPDATE) from the start of the checking, not
    only once every line has passed, and an upload rejected late has had its first chunks
    written before they are rolled back. An upload that cannot be good (a parse error, no
    lines) is checked without locking or writing anything."""
    institution_id = actor.actor_id
    assert institution_id is not None
    r = load_round(session, round_id, lock="share")
    check_demand_window(r, now)
    if len(rows) + len(parse_errors) > max_lines:
        raise InvalidInput(
            f"too many lines: at most {max_lines} per upload",
            [FieldError(field="body", message=f"at most {max_lines} lines")],
        )
    rules = rules_of(r)
    groups_table = Group.__table__  # type: ignore[attr-defined]
    groups = set(
        session.execute(
            core_select(groups_table.c.id).where(groups_table.c.round_id == round_id)
        ).scalars()
    )
    checker = LineChecker(
        text=text,
        groups=groups,
        max_volume=rules.max_unit_volume,
        enterprises=_known_enterprises(session, named_enterprises(rows)),
    )
    if parse_errors or not rows:  # bad whatever the lines say: no lock, no writing
        good = checker.check(rows)
        _reject(parse_errors + checker.errors, len(good))  # raises
    _take_turns(session, institution_id)
    existing = {
        row.group_id: row
        for row in session.execute(
            core_select(
                TABLE.c.id,
                TABLE.c.group_id,
                *[TABLE.c[k] for k in _AUDITED + _AUDITED_IF_SET],
                TABLE.c.version,
            )
            .where(TABLE.c.round_id == round_id, TABLE.c.institution_id == institution_id)
            .with_for_update()
        ).mappings()
    }
    floor = rules.demand_floor_ratio
    updates: list[dict[str, Any]] = []
    # the good lines that change something, in line order, for the audit trail: the line,
    # whether it is flagged, and the report it replaces (None: a new report)
    audited: list[tuple[Line, bool, RowMapping | None]] = []
    counts = {"lines": 0, "created": 0, "flagged": 0}
    pending = ReviewStatus.pending.value
    # a new report clears an earlier review and base volume
    cleared = dict.fromkeys(
        (
            "adjusted_volume",
            "review_reason",
            "reviewed_by",
            "reviewed_at",
            "base_volume",
            "base_flag",
        )
    )
    same = {
        **cleared,
        "round_id": round_id,
        "institution_id": institution_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }

    def after(line: Line, flagged: bool) -> dict[str, Any]:
        """The audited fields of the line's report (= audited_state of its values: no review,
        no base volume)."""
        return {
            "reported": line.reported,
            "last_year_usage": line.last_year_usage,
            "preferred_enterprise_id": line.preferred_enterprise,
            "flagged": flagged,
            "review_status": pending if flagged else None,
        }

    def new_reports() -> Iterator[Columns]:
        """The new reports, a chunk of lines at a time, column by column; raises
        InvalidInput at the end if any line is bad (which abandons what was written)."""
        for start in range(0, len(rows), _CHECK_CHUNK):
            lines = checker.check(rows[start : start + _CHECK_CHUNK])
            if checker.errors:
                continue  # keep checking, to report every bad line; write nothing more
            new: list[Line] = []
            flags: list[bool] = []
            for line in lines:
                flagged = is_below_floor(line.reported, line.last_year_usage, floor)
                old = existing.get(line.group)
                if old is None:
                    new.append(line)
                    flags.append(flagged)
                    audited.append((line, flagged, None))
                elif (old["reported"], old["last_year_usage"], old["preferred_enterprise_id"]) != (
                    line.reported,
                    line.last_year_usage,
                    line.preferred_enterprise,
                ):
                    updates.append(
                        {
                            **after(line, flagged),
                            **cleared,
                            "updated_at": now,
                            "id": old["id"],
                            "version": old["version"] + 1,
                        }
                    )
                    audited.append((line, flagged, old))
                counts["flagged"] += flagged
            counts["lines"] += len(lines)
            counts["created"] += len(new)
            yield Columns(
                varying={
                    "group_id": list(map(_GROUP, new)),
                    "reported": list(map(_REPORTED, new)),
                    "last_year_usage": list(map(_USAGE, new)),
                    "preferred_enterprise_id": list(map(_PREFERRED, new)),
                    "flagged": flags,
                    "review_status": [pending if f else None for f in flags],
                },
                same=same,
            )
        _reject(checker.errors, counts["lines"])

    def changes() -> Iterator[audit.Change]:
        for line, flagged, old in audited:
            yield audit.Change(
                entity_id(round_id, institution_id, line.group),
                None if old is None else audited_state(old),
                after(line, flagged),
            )

    bulk_insert_chunks(session, TABLE, new_reports())
    bulk_update(session, TABLE, updates)
    # after the reports, and streamed: PostgreSQL writes a chunk of events while the next is
    # built (here, not while the reports were written: there the checking kept this thread
    # busier than the database)
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="report",
        entity_type=ENTITY,
        round_id=round_id,
        changes=changes(),
    )
    return BulkResult(
        round_id=round_id,
        institution_id=institution_id,
        lines=counts["lines"],
        created=counts["created"],
        updated=len(updates),
        unchanged=counts["lines"] - counts["created"] - len(updates),
        flagged=counts["flagged"],
    )


def _reject(errors: list[FieldError], good_lines: int) -> None:
    """Raise InvalidInput listing every problem of an upload, in line order, or saying that
    it holds no line; return if it has good lines and no problem."""
    if errors:
        errors = sorted(errors, key=lambda e: e.line or 0)
        raise InvalidInput(f"{len(errors)} problem(s) in the upload; nothing was stored", errors)
    if not good_lines:
        raise InvalidInput("empty upload", [FieldError(field="body", message="no demand lines")])


def review(
    session: Session,
    *,
    round_id: str,
    institution_id: str,
    group_id: str,
    data: ReviewRequest,
    if_match: str | None,
    actor: Principal,
    now: datetime,
) -> DemandReport:
    """The bureau's decision on one report, recorded with who, when and why."""
    r = load_round(session, round_id, lock="share")
    row = get_report(
        session,
        round_id=round_id,
        institution_id=institution_id,
        group_id=group_id,
        viewer=actor,
        for_update=True,  # a concurrent new report must not slip under the review
    )
    require_state(r, RoundState.demand_open, doing="review demand")
    check_if_match(if_match, row.version, what=f"the report of {institution_id} for {group_id}")
    if data.volume is not None and data.volume > rules_of(r).max_unit_volume:
        raise InvalidInput(
            "invalid review",
            [("body.volume", f"exceeds max_unit_volume {rules_of(r).max_unit_volume}")],
        )
    before = audited_state(row)
    row.review_status = {
        "accept": ReviewStatus.accepted,
        "adjust": ReviewStatus.adjusted,
        "reject": ReviewStatus.rejected,
    }[data.decision]
    row.adjusted_volume = data.volume
    row.review_reason = data.reason
    row.reviewed_by = actor.token_name
    row.reviewed_at = now
    row.version += 1
    row.updated_at = now
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action=f"review.{data.decision}",
        entity_type=ENTITY,
        entity_id=entity_id(round_id, institution_id, group_id),
        round_id=round_id,
        before=before,
        after=audited_state(row),
    )
    return row


def list_reports(
    session: Session,
    *,
    round_id: str,
    viewer: Principal,
    institution_id: str | None,
    group_id: str | None,
    flagged: bool | None,
    review_status: ReviewStatus | None,
    after_id: int | None,
    limit: int,
) -> tuple[list[DemandReport], int | None]:
    """The bureau lists every report; an institution only its own (the filters narrow what
    the caller may see: another institution's id finds nothing, as with contracts)."""
    load_round(session, round_id)
    query = select(DemandReport).where(DemandReport.round_id == round_id)
    if viewer.role.value == "institution":
        query = query.where(col(DemandReport.institution_id) == viewer.actor_id)
    if institution_id is not None:
        query = query.where(col(DemandReport.institution_id) == institution_id)
    if group_id is not None:
        query = query.where(col(DemandReport.group_id) == group_id)
    if flagged is not None:
        query = query.where(col(DemandReport.flagged) == flagged)
    if review_status is not None:
        query = query.where(col(DemandReport.review_status) == review_status)
    if after_id is not None:
        query = query.where(col(DemandReport.id) > after_id)
    rows = list(session.execute(query.order_by(col(DemandReport.id)).limit(limit + 1)).scalars())
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None


def review_of(
    status: ReviewStatus | str | None,
    *,
    flagged: bool,
    adjusted_volume: int | None,
    last_year_usage: int,
    floor_ratio: Decimal,
) -> tuple[int | None, bool]:
    """A report's review as a round document's demand line states it (see the module
    docstring): the reviewed figure (None where the report itself stands; 0 for a rejection)
    and `accepted_below_floor`. Locking and the export both read a review through this, and
    the engine turns it into a base volume (solver.demand.reviewed_base_volume), so the
    locked bases and the award's outcome agree."""
    if status == ReviewStatus.accepted:
        return None, flagged
    if status == ReviewStatus.adjusted:
        assert adjusted_volume is not None
        # the bureau's own figure stands, below the floor too
        return adjusted_volume, is_below_floor(adjusted_volume, last_year_usage, floor_ratio)
    if status == ReviewStatus.rejected:
        return 0, False
    return None, False


def _base(row: Any, rules: RuleSet) -> tuple[int, BaseFlag | None]:
    reviewed, accepted = review_of(
        row["review_status"],
        flagged=row["flagged"],
        adjusted_volume=row["adjusted_volume"],
        last_year_usage=row["last_year_usage"],
        floor_ratio=rules.demand_floor_ratio,
    )
    result = reviewed_base_volume(
        reported=row["reported"],
        reviewed=reviewed,
        last_year_usage=row["last_year_usage"],
        accepted_below_floor=accepted,
        rules=rules,
    )
    return result.base_volume, None if result.flag is None else BaseFlag(result.flag)


def lock_base_volumes(session: Session, round_: Round, *, now: datetime, actor: Principal) -> None:
    """SPEC §3: fix every report's base volume (the transition demand_open → demand_locked)."""
    rules = rules_of(round_)
    rows = session.execute(
        core_select(
            TABLE.c.id,
            TABLE.c.institution_id,
            TABLE.c.group_id,
            TABLE.c.version,
            *[TABLE.c[k] for k in _AUDITED + _AUDITED_IF_SET],
        ).where(TABLE.c.round_id == round_.id)
    ).mappings()
    updates: list[dict[str, Any]] = []
    changes: list[audit.Change] = []
    for row in rows:
        volume, flag = _base(row, rules)
        updates.append(
            {
                "id": row["id"],
                "base_volume": volume,
                "base_flag": None if flag is None else flag.value,
                "version": row["version"] + 1,
                "updated_at": now,
            }
        )
        changes.append(
            audit.Change(
                entity_id(round_.id, row["institution_id"], row["group_id"]),
                {"base_volume": row["base_volume"], "base_flag": row["base_flag"]},
                {"base_volume": volume, "base_flag": None if flag is None else flag.value},
            )
        )
    bulk_update(session, TABLE, updates)
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="lock",
        entity_type=ENTITY,
        round_id=round_.id,
        changes=changes,
    )


def group_base_volumes(session: Session, round_id: str) -> dict[str, int]:
    """Σ base volume per group after locking (SPEC §3: the group's base volume)."""
    result = session.execute(
        core_select(TABLE.c.group_id, func.sum(TABLE.c.base_volume))
        .where(TABLE.c.round_id == round_id)
        .group_by(TABLE.c.group_id)
    )
    return {g: int(v or 0) for g, v in result}
