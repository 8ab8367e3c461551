"""The award (定标) as a job: request, progress, completion and the stored outcome.

- `request_award`: the bureau asks for the award of a round in `bids_opened`; the round is
  exported as a round document (app.exchange) and a job is queued. One job per round at a
  time (409 while one is queued or running).
- `record_progress` / `complete_job`: called by the runner (app.award.worker) from its own
  threads, each in its own transaction. On success the whole outcome (its canonical text) and
  its rows are stored and the round moves to `awarded` through the transition table, in one
  transaction; on failure the job records a readable error and the round stays in
  `bids_opened`.
- The move bids_opened → awarded is guarded: it needs a stored outcome, so a bare
  POST …/transitions {"to": "awarded"} cannot skip the award.
"""

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role
from app.auth.service import Principal
from app.award.models import (
    ACTIVE,
    AwardJob,
    JobStatus,
    OutcomeAllocation,
    OutcomeBid,
    OutcomeGroup,
    OutcomeInstitution,
    OutcomeRegion,
    OutcomeVolume,
    RoundOutcome,
)
from app.award.rows import COLUMNS, PreparedOutcome
from app.award.schemas import AwardRequest, JobProgress, JobPublic
from app.award.worker import EngineResult
from app.bulk_write import bulk_insert, copy_prepared
from app.clock import Clock
from app.demand.models import DemandReport
from app.errors import Conflict, DomainError, NotFound, TransitionBlocked
from app.rounds import service as rounds
from app.rounds.access import load_round, require_state
from app.rounds.lifecycle import RoundState
from app.rounds.models import Round

logger = logging.getLogger("vbp.award")

ENTITY = "award_job"
STAGES = 5  # solver.engine.simulate reports five stages


def job_link(job_id: int) -> str:
    return f"/api/v1/jobs/{job_id}"


def to_public(job: AwardJob) -> JobPublic:
    assert job.id is not None
    return JobPublic(
        id=job.id,
        round_id=job.round_id,
        status=job.status,
        progress=JobProgress(stage=job.stage, done=job.done, total=job.total),
        result=f"/api/v1/rounds/{job.round_id}/outcome"
        if job.status is JobStatus.succeeded
        else None,
        error=job.error,
        solver=job.solver,
        time_limit=job.time_limit,
        requested_by=job.requested_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _snapshot(job: AwardJob) -> dict[str, Any]:
    return audit.snapshot(job, exclude=("created_at",))


def requester(job: AwardJob) -> Principal:
    """The bureau token that asked for the award; the round's move is recorded in its name."""
    return Principal(
        role=Role.bureau,
        actor_id=None,
        token_id=job.requested_by_token,
        token_name=job.requested_by,
    )


def get_job(session: Session, job_id: int) -> AwardJob:
    job = session.get(AwardJob, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def _fail(job: AwardJob, error: str, now: datetime) -> None:
    job.status = JobStatus.failed
    job.error = error
    job.finished_at = now


def _record(
    session: Session,
    job: AwardJob,
    *,
    actor: "Principal | audit.AuditActor",
    action: str,
    now: datetime,
    before: dict[str, Any] | None = None,
) -> None:
    """A job's event in the audit trail: what it was (`before`) and what it is now."""
    audit.record(
        session,
        actor=actor,
        now=now,
        action=action,
        entity_type=ENTITY,
        entity_id=str(job.id),
        round_id=job.round_id,
        before=before,
        after=_snapshot(job),
    )


def fail_left_behind(session: Session, job: AwardJob, *, actor: Principal, now: datetime) -> None:
    """Fail a queued or running job that no runner of the service works on: the process
    that ran it stopped (a crash, a kill, a restart). Seen when the award is requested again
    or the job is read, so that a poller reaches an end. The job is read again, locked: its
    runner may have recorded its end just before its lease was found free."""
    session.refresh(job, with_for_update=True)
    if job.status not in ACTIVE:
        return
    before = _snapshot(job)
    _fail(job, "interrupted: the service stopped before the award finished; request it again", now)
    session.add(job)
    _record(session, job, actor=actor, action="fail", now=now, before=before)


def request_award(
    session: Session,
    *,
    round_id: str,
    data: AwardRequest,
    is_running: Any,
    actor: Principal,
    now: datetime,
) -> AwardJob:
    """Queue an award job and return it; the runner reads the round as a round document
    (nothing the engine reads can change while the job is queued or running). `is_running(job_id)`
    tells whether a runner of this service (in any of its processes) still works on a job."""
    r = load_round(session, round_id, lock="update")
    require_state(r, RoundState.bids_opened, doing="run the award")
    active = session.exec(
        select(AwardJob).where(AwardJob.round_id == round_id, col(AwardJob.status).in_(ACTIVE))
    ).all()
    for job in active:
        if is_running(job.id):
            raise Conflict(
                f"award job {job.id} of round {round_id} is still {job.status.value}; poll "
                f"{job_link(job.id or 0)}",
                job=job_link(job.id or 0),
            )
        fail_left_behind(session, job, actor=actor, now=now)
    assert actor.token_id is not None
    job = AwardJob(
        round_id=round_id,
        status=JobStatus.queued,
        stage="queued",
        done=0,
        total=STAGES,
        solver=data.solver,
        time_limit=data.time_limit,
        requested_by=actor.token_name,
        requested_by_token=actor.token_id,
        created_at=now,
    )
    session.add(job)
    session.flush()
    _record(session, job, actor=actor, action="request", now=now)
    return job


def record_progress(
    engine: Engine, clock: Clock, job_id: int, stage: str, done: int, total: int
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        job = session.exec(
            select(AwardJob).where(AwardJob.id == job_id).with_for_update()
        ).one_or_none()
        if job is None or job.status not in ACTIVE:
            return  # a late message after the job ended
        if job.status is JobStatus.queued:
            job.status = JobStatus.running
            job.started_at = clock.now()
        job.stage, job.done, job.total = stage, done, total
        session.add(job)
        session.commit()


# -- the outcome -----------------------------------------------------------------------------


_TABLES = {
    model.__tablename__: model.__table__  # type: ignore[union-attr]
    for model in (
        OutcomeGroup,
        OutcomeBid,
        OutcomeVolume,
        OutcomeAllocation,
        OutcomeRegion,
        OutcomeInstitution,
    )
}


def store_outcome(
    session: Session, r: Round, job: AwardJob, prepared: PreparedOutcome, now: datetime
) -> RoundOutcome:
    """The whole outcome and one row per group, bid, volume, allocation, region and
    institution (prepared by the award's worker, app.award.rows)."""
    assert job.id is not None
    stored = RoundOutcome(
        round_id=r.id,
        job_id=job.id,
        outcome=prepared.text,
        solver_status=prepared.solver_status,
        created_at=now,
    )
    session.add(stored)
    session.flush()
    for name, rows in prepared.tables.items():
        table = _TABLES[name]
        if isinstance(rows, str):
            copy_prepared(session, table, COLUMNS[name], rows)  # PostgreSQL
        else:
            bulk_insert(session, table, rows)
    _check_bases_as_locked(session, r)
    return stored


def _check_bases_as_locked(session: Session, r: Round) -> None:
    """SPEC §3: the outcome's base volumes are the ones locking fixed, which each institution
    has read on its report since. The award recomputes them from the reviews (the exported
    document); should the two ever disagree, the outcome is not stored, so no published number
    contradicts another (a 409 that names the first reports that differ)."""
    o = OutcomeVolume.__table__  # type: ignore[attr-defined]
    d = DemandReport.__table__  # type: ignore[attr-defined]
    locked_flag = sa.cast(d.c.base_flag, sa.String)
    differing = session.execute(
        sa.select(o.c.institution_id, o.c.group_id, o.c.base_volume, o.c.flag)
        .add_columns(d.c.base_volume.label("locked"), locked_flag.label("locked_flag"))
        .join(
            d,
            sa.and_(
                d.c.round_id == o.c.round_id,
                d.c.institution_id == o.c.institution_id,
                d.c.group_id == o.c.group_id,
            ),
        )
        .where(
            o.c.round_id == r.id,
            sa.or_(
                o.c.base_volume.is_distinct_from(d.c.base_volume),
                o.c.flag.is_distinct_from(locked_flag),
            ),
        )
        .order_by(o.c.institution_id, o.c.group_id)
        .limit(3)
    ).all()
    if differing:
        shown = "; ".join(
            f"{x.institution_id}/{x.group_id}: outcome {x.base_volume} ({x.flag or 'no flag'}), "
            f"locked {x.locked} ({x.locked_flag or 'no flag'})"
            for x in differing
        )
        raise Conflict(
            f"the outcome's base volumes differ from those locked for round {r.id} ({shown}); "
            "nothing was stored"
        )


def complete_job(engine: Engine, clock: Clock, job_id: int, result: EngineResult) -> None:
    """Store the outcome and move the round to awarded, or record why the job failed."""
    error = result.error
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(AwardJob, job_id)
        if job is None or job.status not in ACTIVE:
            return
        who = requester(job)
        if result.prepared is not None:
            try:
                now = clock.now()
                r = load_round(session, job.round_id, lock="update")
                before = _snapshot(job)
                store_outcome(session, r, job, result.prepared, now)
                rounds.transition(
                    session,
                    round_id=job.round_id,
                    to=RoundState.awarded,
                    reason=f"award job {job.id}",
                    if_match=None,
                    actor=who,
                    now=now,
                )
                job.status = JobStatus.succeeded
                job.stage, job.done = "done", job.total
                job.started_at = job.started_at or now
                job.finished_at = now
                session.add(job)
                session.flush()
                _record(session, job, actor=who, action="succeed", now=now, before=before)
                session.commit()
                return
            except DomainError as exc:
                session.rollback()
                error = f"the outcome could not be stored: {exc.detail}"
            except Exception:
                session.rollback()
                logger.exception("storing the outcome of award job %s failed", job_id)
                error = "the outcome could not be stored (an internal error); see the service log"
            job = session.get(AwardJob, job_id)
            assert job is not None
        now = clock.now()
        before = _snapshot(job)
        _fail(job, error or "the engine returned no outcome", now)
        session.add(job)
        session.flush()
        _record(session, job, actor=who, action="fail", now=now, before=before)
        session.commit()


# -- the transition guard ---------------------------------------------------------------------


def _guard_awarded(session: Session, r: Round, now: datetime) -> None:
    """bids_opened → awarded only with a stored outcome: run the award (POST …/award)."""
    if session.get(RoundOutcome, r.id) is None:
        raise TransitionBlocked(
            r.state.value,
            RoundState.awarded.value,
            f"round {r.id} cannot move from {r.state.value} to awarded: it has no outcome yet; "
            f"run the award (POST /api/v1/rounds/{r.id}/award)",
        )


def _install_guard() -> None:
    move = (RoundState.bids_opened, RoundState.awarded)
    existing = rounds.GUARDS.get(move)
    if existing is _guard_awarded or getattr(existing, "__wrapped_award__", False):
        return
    if existing is None:
        rounds.GUARDS[move] = _guard_awarded
        return

    def both(session: Session, r: Round, now: datetime) -> None:
        existing(session, r, now)
        _guard_awarded(session, r, now)

    both.__wrapped_award__ = True  # type: ignore[attr-defined]
    rounds.GUARDS[move] = both


_install_guard()
