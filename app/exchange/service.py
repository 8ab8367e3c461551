"""A stored round as a round document, and a round document as a stored round (SPEC §11,
ROUND_DOCUMENT.md): simulation and operation share one format.

Export (`export_document`)
- round, rules, the catalog, the institutions with a demand line and their demands, the
  enterprises that bid or are named as preferred, with their registered credit levels.
- Bids only once they are opened (state bids_opened or later): before that the export has
  `"bids": []`, so an export never unseals a price (SPEC §5).
- A demand line carries the institution's report (`reported`) and the bureau's review, so that
  the engine computes the same base volume as locking does (app.demand.service): accepted →
  `accepted_below_floor` when the report was flagged; adjusted → `reviewed` is the adjusted
  volume (`accepted_below_floor` when that is below the floor); rejected → `reviewed` 0 (the
  floor, as locking gives); not reviewed → the rule set's below_floor_policy decides on the
  report. (`reviewed` extends ROUND_DOCUMENT.md; a line without it is read as
  the engine always read it.)

Import (`import_document`)
- The document is validated as `vbp simulate` validates it (422 naming each path), then ids
  must be valid service ids. Institutions and enterprises are registered when missing and
  matched when present; a present one must agree on region / credit level (422), since
  neither may be changed silently by a document.
- The round is created in `draft` with its rules and catalog, demands become reports (a line
  with `accepted_below_floor` is recorded as accepted by the importing bureau), and bids
  become version 1 of each enterprise's bid, with a fresh nonce and commitment.
- The resulting state: `bids_opened` when the document has bids (a document's bids are
  already in the clear, so they are open; the award can run at once); `demand_locked` when it
  has demands but no bids (base volumes are computed as locking does; set the bidding window
  and open bidding next); `draft` when it has neither (the catalog can still be edited).
"""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.actors import service as actors
from app.actors.models import CreditLevel, Enterprise, Institution
from app.actors.schemas import EnterpriseCreate, InstitutionCreate
from app.audit import service as audit
from app.auth.service import Principal
from app.bids import service as bids
from app.bids.models import Bid
from app.bids.schemas import BidFields
from app.bulk_write import bulk_insert
from app.catalog import service as catalog
from app.catalog.models import Group
from app.catalog.schemas import GroupCreate
from app.common import ID_PATTERN
from app.credit import service as credit
from app.db import is_postgresql
from app.demand import service as demand
from app.demand.models import DemandReport, ReviewStatus
from app.errors import AlreadyExists, InvalidInput
from app.exchange.schemas import ImportResult
from app.rounds import service as rounds
from app.rounds.access import load_round, rules_of, touch
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round
from app.rounds.schemas import RoundCreate, RulesSpec
from solver import document
from solver.demand import is_below_floor
from solver.rules import RuleSet

ENTITY = "round"


# -- export ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value)


def _group(g: Group) -> dict[str, Any]:
    rep: dict[str, Any] = {
        "strength": _text(g.representative_strength),
        "strength_unit": g.representative_strength_unit,
        "dosage_form": g.representative_dosage_form,
    }
    if g.representative_fill_volume is not None:
        rep["fill_volume"] = _text(g.representative_fill_volume)
        rep["fill_unit"] = g.representative_fill_unit
    out: dict[str, Any] = {
        "id": g.id,
        "generic_names": list(g.generic_names),
        "form_family": g.form_family,
        "representative": rep,
        "ceiling": _text(g.ceiling),
        "pre_vbp_unit_price": _text(g.pre_vbp_unit_price),
        "ratio_table": g.ratio_table.value,
    }
    if g.eligible_quality is not None:
        out["eligible_quality"] = list(g.eligible_quality)
    return out


def demand_line(row: DemandReport, floor_ratio: Any) -> dict[str, Any]:
    """A report as a document demand line that gives the base volume locking gives."""
    reviewed, accepted = demand.review_of(
        row.review_status,
        flagged=row.flagged,
        adjusted_volume=row.adjusted_volume,
        last_year_usage=row.last_year_usage,
        floor_ratio=floor_ratio,
    )
    line: dict[str, Any] = {
        "institution": row.institution_id,
        "group": row.group_id,
        "reported": row.reported,
        "last_year_usage": row.last_year_usage,
    }
    if reviewed is not None:
        line["reviewed"] = reviewed
    if row.preferred_enterprise_id is not None:
        line["preferred_enterprise"] = row.preferred_enterprise_id
    if accepted:
        line["accepted_below_floor"] = True
    return line


def _bid(row: Bid) -> dict[str, Any]:
    product = {
        k: (_text(v) if k in ("strength", "fill_volume") else v)
        for k, v in bids.product_dict(row).items()
        if v is not None
    }
    return {
        "enterprise": row.enterprise_id,
        "group": row.group_id,
        "product": product,
        "pack_price": _text(row.pack_price),
        "capacity": row.capacity,
        "submitted_at": row.submitted_at.isoformat(),
        "accept_revival": bool(row.accept_revival),
    }


def _in_chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def export_stored_round(engine: Engine, round_id: str) -> dict[str, Any]:
    """The stored round `round_id` as a round document, read in a transaction of its own
    (the award's worker reads it so, away from the request)."""
    with Session(engine) as session:
        return export_document(session, load_round(session, round_id))


def export_document(session: Session, r: Round) -> dict[str, Any]:
    """The stored round as a round document (bids only once opened)."""
    rules = rules_of(r)
    reports = list(
        session.exec(
            select(DemandReport)
            .where(DemandReport.round_id == r.id)
            .order_by(col(DemandReport.institution_id), col(DemandReport.group_id))
        )
    )
    bid_rows = bids.live_bids(session, r.id) if bids.bids_are_open(r) else []
    institution_ids = sorted({row.institution_id for row in reports})
    enterprise_ids = sorted(
        {b.enterprise_id for b in bid_rows}
        | {row.preferred_enterprise_id for row in reports if row.preferred_enterprise_id}
    )
    institutions: list[Institution] = []
    for chunk in _in_chunks(institution_ids):
        institutions += session.exec(select(Institution).where(col(Institution.id).in_(chunk)))
    enterprises: list[Enterprise] = []
    for chunk in _in_chunks(enterprise_ids):
        enterprises += session.exec(select(Enterprise).where(col(Enterprise.id).in_(chunk)))
    return {
        "round": {
            "id": r.id,
            "name": r.name,
            "agreement_start": None if r.agreement_start is None else r.agreement_start.isoformat(),
        },
        "rules": {
            "profile": r.rules.get("profile", "batch7"),
            "overrides": dict(r.rules.get("overrides") or {}),
        },
        "groups": [_group(g) for g in catalog.list_groups(session, r.id)],
        "institutions": [
            {"id": i.id, "name": i.name, "region": i.region}
            for i in sorted(institutions, key=lambda i: i.id)
        ],
        "demands": [demand_line(row, rules.demand_floor_ratio) for row in reports],
        "enterprises": [
            {
                "id": e.id,
                "name": e.name,
                # the level the engine must see to bar exactly whom the bid service bars
                "credit_level": credit.credit_level_in_round(session, e.id, r),
            }
            for e in sorted(enterprises, key=lambda e: e.id)
        ],
        "bids": [_bid(b) for b in bid_rows],
    }


# -- import ------------------------------------------------------------------------------------


def _id_problems(doc: document.RoundDocument) -> list[tuple[str, str]]:
    import re

    pattern = re.compile(ID_PATTERN)
    message = "must be 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit"
    problems = []
    if not pattern.match(doc.round.id):
        problems.append(("round.id", message))
    ids = {
        "groups": [g.id for g in doc.groups],
        "institutions": [i.id for i in doc.institutions],
        "enterprises": [e.id for e in doc.enterprises],
    }
    for name, values in ids.items():
        for i, value in enumerate(values):
            if not pattern.match(value):
                problems.append((f"{name}[{i}].id", message))
    return problems


def _review_problems(doc: document.RoundDocument, rules: RuleSet) -> list[tuple[str, str]]:
    """A `reviewed` volume becomes the bureau's review of the report: 0 without
    `accepted_below_floor` a rejection, anything else an adjustment. An adjustment below the
    floor stands as the bureau's (locking flags it accepted below the floor), so a line whose
    reviewed volume is below the floor but not accepted has no review that gives the engine's
    base volume: it is refused, naming the field."""
    problems = []
    for i, d in enumerate(doc.demands):
        if (
            d.reviewed
            and not d.accepted_below_floor
            and is_below_floor(d.reviewed, d.last_year_usage, rules.demand_floor_ratio)
        ):
            problems.append(
                (
                    f"demands[{i}].reviewed",
                    "a reviewed volume below the floor needs accepted_below_floor: true (the "
                    "bureau's adjustment stands) or must be 0 (a rejected report)",
                )
            )
    return problems


def _pydantic_problems(exc: ValidationError, prefix: str) -> list[tuple[str, str]]:
    from solver.errors import errors_from_pydantic

    return errors_from_pydantic(exc, prefix=prefix)


def _actors(
    session: Session, doc: document.RoundDocument, *, actor: Principal, now: datetime
) -> tuple[list[str], list[str]]:
    """Register missing institutions and enterprises; check present ones agree. Returns the
    ids registered."""
    problems: list[tuple[str, str]] = []
    new_institutions: list[InstitutionCreate] = []
    new_enterprises: list[EnterpriseCreate] = []
    for i, inst in enumerate(doc.institutions):
        found = session.get(Institution, inst.id)
        if found is None:
            try:
                new_institutions.append(
                    InstitutionCreate(id=inst.id, name=inst.name, region=inst.region)
                )
            except ValidationError as exc:
                problems += _pydantic_problems(exc, f"institutions[{i}]")
        elif found.region != inst.region:
            problems.append(
                (
                    f"institutions[{i}].region",
                    f"institution {inst.id} is registered in region {found.region!r}, "
                    f"not {inst.region!r}",
                )
            )
    for i, ent in enumerate(doc.enterprises):
        found_e = session.get(Enterprise, ent.id)
        if found_e is None:
            try:
                new_enterprises.append(
                    EnterpriseCreate(
                        id=ent.id,
                        name=ent.name,
                        credit_level=None
                        if ent.credit_level is None
                        else CreditLevel(ent.credit_level),
                    )
                )
            except ValidationError as exc:
                problems += _pydantic_problems(exc, f"enterprises[{i}]")
        else:
            registered = None if found_e.credit_level is None else found_e.credit_level.value
            if registered != ent.credit_level:
                problems.append(
                    (
                        f"enterprises[{i}].credit_level",
                        f"enterprise {ent.id} is registered with credit level {registered}, "
                        f"not {ent.credit_level}; the bureau rates credit, a document does not",
                    )
                )
    if problems:
        raise InvalidInput("the document does not match the registered actors", problems)
    for data in new_institutions:
        actors.register_institution(session, data=data, actor=actor, now=now)
    for data_e in new_enterprises:
        actors.register_enterprise(session, data=data_e, actor=actor, now=now)
    return [d.id for d in new_institutions], [d.id for d in new_enterprises]


def _round_create(doc: document.RoundDocument) -> RoundCreate:
    problems: list[tuple[str, str]] = []
    groups: list[GroupCreate] = []
    for i, g in enumerate(doc.groups):
        try:
            groups.append(GroupCreate.model_validate(g.model_dump(mode="json")))
        except ValidationError as exc:
            problems += _pydantic_problems(exc, f"groups[{i}]")
    data = None
    try:
        data = RoundCreate(
            id=doc.round.id,
            name=doc.round.name,
            agreement_start=doc.round.agreement_start,
            rules=RulesSpec(profile=doc.rules.profile, overrides=dict(doc.rules.overrides)),
            groups=groups,
        )
    except ValidationError as exc:
        problems += _pydantic_problems(exc, "round")
    if problems or data is None:
        raise InvalidInput("the document does not fit the service", problems)
    return data


def _bid_fields(doc: document.RoundDocument) -> list[BidFields]:
    """The document's bids as the service's bid content (its limits are a little stricter:
    at most 6 decimal places in a pack price)."""
    problems: list[tuple[str, str]] = []
    fields: list[BidFields] = []
    for i, b in enumerate(doc.bids):
        try:
            fields.append(
                BidFields.model_validate(
                    {
                        "product": b.product.model_dump(mode="json", exclude_none=True),
                        "pack_price": str(b.pack_price),
                        "capacity": b.capacity,
                        "accept_revival": b.accept_revival,
                    }
                )
            )
        except ValidationError as exc:
            problems += _pydantic_problems(exc, f"bids[{i}]")
    if problems:
        raise InvalidInput("the document does not fit the service", problems)
    return fields


def _demands(
    session: Session, r: Round, doc: document.RoundDocument, *, actor: Principal, now: datetime
) -> None:
    floor = rules_of(r).demand_floor_ratio
    rows: list[dict[str, Any]] = []
    for d in doc.demands:
        flagged = is_below_floor(d.reported, d.last_year_usage, floor)
        accepted = d.accepted_below_floor
        if d.reviewed is not None:  # see _review_problems
            rejected = d.reviewed == 0 and not accepted
            status: ReviewStatus | None = (
                ReviewStatus.rejected if rejected else ReviewStatus.adjusted
            )
            reason = f"{'rejected' if rejected else 'reviewed'} in the imported round document"
        elif accepted:
            status, reason = (
                ReviewStatus.accepted,
                "accepted_below_floor in the imported round document",
            )
        else:
            status, reason = (ReviewStatus.pending if flagged else None), None
        decided = reason is not None  # by the document, on behalf of the importing bureau
        rows.append(
            {
                "round_id": r.id,
                "institution_id": d.institution,
                "group_id": d.group,
                "reported": d.reported,
                "last_year_usage": d.last_year_usage,
                "preferred_enterprise_id": d.preferred_enterprise,
                "flagged": flagged,
                "review_status": None if status is None else status.value,
                "adjusted_volume": d.reviewed if status is ReviewStatus.adjusted else None,
                "review_reason": reason,
                "reviewed_by": actor.token_name if decided else None,
                "reviewed_at": now if decided else None,
                "base_volume": None,
                "base_flag": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    bulk_insert(session, DemandReport.__table__, rows)  # type: ignore[attr-defined]
    audit.record_many(
        session,
        actor=actor,
        now=now,
        action="import",
        entity_type=demand.ENTITY,
        round_id=r.id,
        changes=[
            audit.Change(
                demand.entity_id(r.id, row["institution_id"], row["group_id"]),
                None,
                # as every change of a report is recorded: with the review, who and why
                demand.audited_state(row),
            )
            for row in rows
        ],
    )


def _bids(
    session: Session,
    r: Round,
    doc: document.RoundDocument,
    fields: list[BidFields],
    *,
    actor: Principal,
    now: datetime,
) -> None:
    for b, data in zip(doc.bids, fields, strict=True):
        row = bids.new_submission(
            round_id=r.id,
            enterprise_id=b.enterprise,
            group_id=b.group,
            version=1,
            data=data,
            # a document bid without a time is dated by its import
            submitted_at=b.submitted_at or now,
            submitted_by=actor.token_name,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            now=now,
            action="import",
            entity_type=bids.ENTITY,
            entity_id=bids.entity_id(r.id, b.enterprise, b.group),
            round_id=r.id,
            after=bids._audit_view(row),
        )


# the key of the transaction-level advisory lock that imports take turns on: "vbpi" (vbp
# import) as a 32-bit integer, with a second key 0 (app.award.lease holds "vbpa", job id)
_IMPORT_NAMESPACE = 0x76627069
_TAKE_TURNS = text("SELECT pg_advisory_xact_lock(CAST(:ns AS integer), 0)")


def _take_turns(session: Session) -> None:
    """Imports take turns (PostgreSQL: an advisory lock held to the end of the transaction;
    SQLite already has one writer at a time). Without it, two imports that name the same new
    institution or enterprise both find it missing and the later one fails on the first
    one's row; one document imported twice at once gets past the round check twice."""
    if is_postgresql(session):
        session.execute(_TAKE_TURNS, {"ns": _IMPORT_NAMESPACE})


def import_document(
    session: Session, *, parsed: document.Round, actor: Principal, now: datetime
) -> ImportResult:
    doc = parsed.document
    problems = _id_problems(doc)
    if problems:
        raise InvalidInput("the document's ids are not valid service ids", problems)
    problems = _review_problems(doc, parsed.rules)
    if problems:
        raise InvalidInput("the document does not fit the service", problems)
    _take_turns(session)
    if session.get(Round, doc.round.id) is not None:
        raise AlreadyExists(f"round {doc.round.id!r} already exists", id=doc.round.id)
    data = _round_create(doc)
    bid_fields = _bid_fields(doc)
    created_institutions, created_enterprises = _actors(session, doc, actor=actor, now=now)
    r = rounds.create_round(session, data=data, actor=actor, now=now)
    if doc.demands:
        _demands(session, r, doc, actor=actor, now=now)
    if doc.bids:
        _bids(session, r, doc, bid_fields, actor=actor, now=now)
    target = (
        RoundState.bids_opened
        if doc.bids
        else (RoundState.demand_locked if doc.demands else RoundState.draft)
    )
    if doc.demands:
        demand.lock_base_volumes(session, r, now=now, actor=actor)
    r.state = target
    touch(r, now)
    session.add(r)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="import",
        entity_type=ENTITY,
        entity_id=r.id,
        round_id=r.id,
        before={"state": None},
        after={
            "state": target.value,
            "groups": len(doc.groups),
            "demands": len(doc.demands),
            "bids": len(doc.bids),
            "registered_institutions": created_institutions,
            "registered_enterprises": created_enterprises,
        },
    )
    return ImportResult(
        round=rounds.to_public(session, r),
        registered_institutions=created_institutions,
        registered_enterprises=created_enterprises,
        demands=len(doc.demands),
        bids=len(doc.bids),
    )
