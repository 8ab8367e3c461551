"""The agreement-year simulation as a job: submit (202), then read the job and its report."""

from fastapi import BackgroundTasks, Request, Response, status

from app.agreement_year import service
from app.agreement_year.schemas import YearSimulationJob, YearSimulationRequest
from app.auth.deps import BureauPrincipal
from app.clock import ClockDep
from app.common import RowId, location
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import make_router

router = make_router(prefix="/api/v1", tags=["agreement-year simulation"])


@router.post(
    "/rounds/{round_id}/agreement-year:simulate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=YearSimulationJob,
    responses=problem_responses(404, 409),
)
def simulate_agreement_year(
    round_id: str,
    body: YearSimulationRequest,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> YearSimulationJob:
    """Simulate an agreement year of a published round on its stored contracts, seeded:
    monthly orders with seasonality, deliveries with `failure_probability` (the region's
    backup supplier steps in), acceptance and payment delays, the prepayment ledger. Returns
    the job (202); its report appears on `GET /api/v1/agreement-year-jobs/{id}`. The
    simulation changes no order, invoice or ledger of the round."""
    job = service.submit(session, round_id=round_id, data=body, actor=principal, now=clock.now())
    assert job.id is not None
    background.add_task(service.run_job, request.app.state.engine, job.id, clock)
    response.headers["Location"] = location(f"/api/v1/agreement-year-jobs/{job.id}")
    return service.to_public(job)


@router.get(
    "/agreement-year-jobs/{job_id}",
    response_model=YearSimulationJob,
    responses=problem_responses(404),
)
def get_agreement_year_job(
    job_id: RowId, session: SessionDep, _principal: BureauPrincipal
) -> YearSimulationJob:
    """The job: queued, running, succeeded (with the report) or failed (with the reason)."""
    return service.get_job(session, job_id)
