"""The agreement-year simulation as a job: submit (202), then read the job and its report."""

from fastapi import BackgroundTasks, FastAPI, Request, Response, status

from app.agreement_year import service
from app.agreement_year.models import JobStatus
from app.agreement_year.runner import YearRunner
from app.agreement_year.schemas import YearSimulationJob, YearSimulationRequest
from app.app_runners import app_runner, shut_down_with_app, worker_mode
from app.auth.deps import BureauPrincipal
from app.clock import ClockDep
from app.common import RowId, location
from app.db import SessionDep
from app.errors import problem_responses
from app.routing import make_router


def get_runner(app: FastAPI) -> YearRunner:
    """The app's runner, created on first use (its worker process only on the first job)."""
    return app_runner(
        app,
        "year_runner",
        lambda app: YearRunner(
            engine=app.state.engine, clock=app.state.clock, mode=worker_mode(app)
        ),
    )


router = make_router(
    prefix="/api/v1",
    tags=["agreement-year simulation"],
    lifespan=shut_down_with_app("year_runner"),
)


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
    runner = get_runner(request.app)
    runner.expect(job.id)
    # after the response (the job row is committed by then); the runner returns at once
    background.add_task(runner.start, job.id)
    response.headers["Location"] = location(f"/api/v1/agreement-year-jobs/{job.id}")
    return service.to_public(job)


@router.get(
    "/agreement-year-jobs/{job_id}",
    response_model=YearSimulationJob,
    responses=problem_responses(404),
)
def get_agreement_year_job(
    job_id: RowId,
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    _principal: BureauPrincipal,
) -> YearSimulationJob:
    """The job: queued, running, succeeded (with the report) or failed (with the reason).
    `Retry-After` suggests when to poll again; a job that no process of the service works on
    any more (it stopped while the job ran) is failed when read, so that polling ends."""
    job = service.get_job(session, job_id)
    if job.status in (JobStatus.queued, JobStatus.running):
        if get_runner(request.app).alive(session, job_id):
            response.headers["Retry-After"] = "1"
        else:
            service.fail_left_behind(session, job, now=clock.now())
    return service.to_public(job)
