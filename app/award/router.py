"""The award as a job: POST …/award → 202 and a job to poll at GET /api/v1/jobs/{id}."""

from functools import partial

from fastapi import BackgroundTasks, Body, FastAPI, Request, Response, status

from app.app_runners import app_runner, shut_down_with_app, worker_mode
from app.auth.deps import BureauPrincipal
from app.award import service
from app.award.lease import JobLease
from app.award.models import JobStatus
from app.award.schemas import AwardRequest, JobPublic
from app.award.worker import AwardRunner, EngineRun
from app.clock import ClockDep
from app.common import RowId, location
from app.db import SessionDep, is_postgresql
from app.errors import problem_responses
from app.exchange.service import export_stored_round
from app.routing import make_router


def _make_runner(app: FastAPI) -> AwardRunner:
    engine, clock = app.state.engine, app.state.clock
    return AwardRunner(
        mode=worker_mode(app),
        on_progress=partial(service.record_progress, engine, clock),
        on_done=partial(service.complete_job, engine, clock),
        lease=JobLease(engine),
        export=partial(export_stored_round, engine),
    )


def get_runner(app: FastAPI) -> AwardRunner:
    """The app's runner, created on first use (the worker process only on the first job)."""
    return app_runner(app, "award_runner", _make_runner)


router = make_router(prefix="/api/v1", tags=["award"], lifespan=shut_down_with_app("award_runner"))


@router.post(
    "/rounds/{round_id}/award",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    responses=problem_responses(404, 409),
)
def request_award(
    round_id: str,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
    body: AwardRequest = Body(
        default_factory=AwardRequest, examples=[{"solver": "cbc", "time_limit": 60}]
    ),
) -> JobPublic:
    """Run the award (定标) of a round whose bids are opened: winner selection, agreed
    volumes, allocation and money (SPEC §6–§8) on the stored round exported as a round
    document. Returns 202 with a job; poll `Location` (GET /api/v1/jobs/{id}). On success
    the outcome is stored and the round moves to `awarded`; on failure the job's `error`
    says why and the round stays in `bids_opened`. 409 while another award job of the round
    is queued or running."""
    runner = get_runner(request.app)

    job = service.request_award(
        session,
        round_id=round_id,
        data=body,
        is_running=partial(runner.alive, session),
        actor=principal,
        now=clock.now(),
    )
    assert job.id is not None
    runner.expect(job.id)
    # after the response: the job row is committed by then
    background.add_task(
        runner.start,
        EngineRun(
            job.id,
            None,  # the runner reads the round: not in this request (seconds of Python)
            solver=job.solver,
            time_limit=job.time_limit,
            round_id=round_id,
            copy=is_postgresql(session),
            database_url=request.app.state.settings.database_url,
        ),
    )
    response.headers["Location"] = location(service.job_link(job.id))
    return service.to_public(job)


@router.get("/jobs/{job_id}", response_model=JobPublic, responses=problem_responses(404))
def get_job(
    job_id: RowId,
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    principal: BureauPrincipal,
) -> JobPublic:
    """A job's status and progress {stage, done, total}; `result` links to the outcome once
    it has succeeded, `error` says why it failed. `Retry-After` suggests when to poll again.
    A job that no process of the service works on any more (it stopped while the job ran)
    is failed when read, so that polling always ends."""
    job = service.get_job(session, job_id)
    if job.status in (JobStatus.queued, JobStatus.running):
        assert job.id is not None
        if get_runner(request.app).alive(session, job.id):
            response.headers["Retry-After"] = "1"
        else:
            service.fail_left_behind(session, job, actor=principal, now=clock.now())
    return service.to_public(job)
