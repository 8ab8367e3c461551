"""Agreement-year simulation jobs (协议期模拟).

The bureau asks for a seeded year over a published round's stored contracts: the job runs
`solver.year.simulate_year` (monthly orders from the agreed volumes with seasonality,
deliveries with a failure probability and the region's backup supplier, acceptance and payment
delays, the prepayment ledger) and stores its month-by-month report. It reads the stored
contracts and changes nothing else: the simulation never touches the round's real orders.

The job runs after the response (202), handed to the app's runner (app.agreement_year.runner):
its contracts are read and its report stored on the runner's thread, the year itself is
computed in a worker process.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.agreement_year.models import AgreementYearJob, JobStatus
from app.agreement_year.runner import WorkerStopped
from app.agreement_year.schemas import YearSimulationJob, YearSimulationRequest
from app.audit import service as audit
from app.auth.service import Principal
from app.clock import Clock
from app.contracts.access import list_contracts, resolve_year
from app.contracts.periods import year_starts_on
from app.errors import NotFound
from app.rounds.access import load_round, require_state, rules_of
from app.rounds.lifecycle import RoundState
from solver.year import Contract as YearContract
from solver.year import YearSettings, simulate_year

logger = logging.getLogger("vbp")
ENTITY = "agreement_year_job"
JOB_ACTOR = audit.AuditActor(role="system", id=None, name="agreement-year simulation")


def submit(
    session: Session,
    *,
    round_id: str,
    data: YearSimulationRequest,
    actor: Principal,
    now: datetime,
) -> AgreementYearJob:
    r = load_round(session, round_id)
    require_state(
        r,
        RoundState.published,
        RoundState.in_agreement,
        RoundState.closed,
        doing="simulate an agreement year",
    )
    year = resolve_year(session, r, data.year, field="body.year")
    job = AgreementYearJob(
        round_id=round_id,
        year=year,
        status=JobStatus.queued,
        settings=data.model_dump(mode="json", exclude={"year"}),
        created_by=actor.token_name,
        created_at=now,
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        now=now,
        action="submit",
        entity_type=ENTITY,
        entity_id=str(job.id),
        round_id=round_id,
        after={"year": year, "settings": job.settings, "status": job.status.value},
    )
    return job


def simulate(
    session: Session,
    job: AgreementYearJob,
    compute: Callable[..., dict[str, Any]] = simulate_year,
) -> dict[str, Any]:
    """The report of the job's year (pure apart from reading the round and its contracts);
    `compute` is `solver.year.simulate_year`, or a runner's way to call it elsewhere."""
    r = load_round(session, job.round_id)
    assert r.agreement_start is not None
    rules = rules_of(r)
    contracts, _ = list_contracts(session, viewer=None, round_id=job.round_id, year=job.year)
    s = job.settings
    settings = YearSettings(
        seed=int(s["seed"]),
        months=int(s["months"]),
        failure_probability=float(s["failure_probability"]),
        late_payment_probability=float(s["late_payment_probability"]),
        purchase_factor=(float(s["purchase_factor"][0]), float(s["purchase_factor"][1])),
        acceptance_delay_days=(
            int(s["acceptance_delay_days"][0]),
            int(s["acceptance_delay_days"][1]),
        ),
        late_payment_days=(int(s["late_payment_days"][0]), int(s["late_payment_days"][1])),
        delivery_days=rules.delivery_days,
    )
    report = compute(
        [
            YearContract(
                institution=c.institution_id,
                group=c.group_id,
                enterprise=c.enterprise_id,
                region=c.region,
                agreed_volume=c.agreed_volume,
                price=c.price,
                backup=c.backup_enterprise_id,
                backup_price=c.backup_price,
            )
            for c in contracts
        ],
        agreement_start=year_starts_on(r.agreement_start, job.year),
        prepay_ratio=rules.prepay_ratio,
        settings=settings,
    )
    return {"round": {"id": job.round_id, "year": job.year}, **report}


def run_job(
    engine: Engine,
    job_id: int,
    clock: Clock,
    *,
    compute: Callable[..., dict[str, Any]] = simulate_year,
) -> None:
    """Run a queued job to its end; a failure is stored on the job, never raised."""
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(AgreementYearJob, job_id)
        if job is None or job.status is not JobStatus.queued:
            return
        job.status = JobStatus.running
        job.started_at = clock.now()
        session.add(job)
        session.commit()
        try:
            report = simulate(session, job, compute)
        except Exception as exc:  # stored on the job; the details go to the log only
            session.rollback()
            logger.error("agreement-year job %s failed", job_id, exc_info=exc)
            job.status = JobStatus.failed
            job.error = "the simulation failed; the error has been logged"
            if isinstance(exc, ValueError | WorkerStopped):
                job.error = f"the simulation failed: {exc}"
        else:
            job.status = JobStatus.succeeded
            job.report = report
        job.finished_at = clock.now()
        session.add(job)
        audit.record(
            session,
            actor=JOB_ACTOR,
            now=job.finished_at,
            action="finish",
            entity_type=ENTITY,
            entity_id=str(job_id),
            round_id=job.round_id,
            after={"status": job.status.value, "error": job.error},
        )
        session.commit()


def get_job(session: Session, job_id: int) -> AgreementYearJob:
    job = session.get(AgreementYearJob, job_id)
    if job is None:
        raise NotFound(f"no agreement-year job {job_id}")
    return job


def fail_left_behind(session: Session, job: AgreementYearJob, *, now: datetime) -> None:
    """Fail a queued or running job that no runner works on: the process that had it stopped
    (a crash, a kill, a restart). Seen when the job is read, so that polling ends. The job is
    read again, locked: its runner may have recorded its end just before its lease was found
    free."""
    session.refresh(job, with_for_update=True)
    if job.status not in (JobStatus.queued, JobStatus.running):
        return
    job.status = JobStatus.failed
    job.error = "interrupted: the service stopped before the simulation finished; submit it again"
    job.finished_at = now
    session.add(job)
    audit.record(
        session,
        actor=JOB_ACTOR,
        now=now,
        action="finish",
        entity_type=ENTITY,
        entity_id=str(job.id),
        round_id=job.round_id,
        after={"status": job.status.value, "error": job.error},
    )


def to_public(job: AgreementYearJob) -> YearSimulationJob:
    assert job.id is not None
    return YearSimulationJob(
        id=job.id,
        round_id=job.round_id,
        year=job.year,
        status=job.status,
        settings=job.settings,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        report=job.report,
    )
