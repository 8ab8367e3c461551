"""Where agreement-year simulations run: away from the requests.

A provincial year is tens of seconds of Python. Run in the request's background task, it held
the request's admission slot (app.admission) and the API process's interpreter for all that
time: four of them took every slot of a process, and /health on it slowed tenfold. So the
background task only hands the job to this runner and returns. The runner reads the round's
contracts and stores the report on a thread of its own; the year itself is computed in a
worker process (`process` mode, the service's default: `spawn`, one worker, made on the first
job), or (`inline`, for tests that want determinism; the same setting as the award's,
`Settings.award_worker`) all of it in the request's background task.

Like award jobs, each job is leased (app.award.lease, namespace "vbpy") while its runner
works on it, so that any process can tell a job left behind by a process that stopped, and
fail it when it is read.
"""

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal

from sqlalchemy import Engine

from app.award.lease import YEAR_NAMESPACE, JobLease
from app.clock import Clock
from app.in_flight import InFlight
from app.parent_watch import exit_with_parent
from app.spawn_pool import SpawnPool
from solver.year import simulate_year

logger = logging.getLogger("vbp")

Mode = Literal["process", "inline"]


class WorkerStopped(RuntimeError):
    """The worker process died under a simulation; the message is for the bureau."""


class YearRunner:
    def __init__(self, *, engine: Engine, clock: Clock, mode: Mode) -> None:
        self._engine = engine
        self._clock = clock
        self._mode = mode
        self._in_flight = InFlight(JobLease(engine, YEAR_NAMESPACE))
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vbp-year")
        # the worker ends with this process (app.parent_watch)
        self._pool = SpawnPool(
            initializer=exit_with_parent, closed_message="the service is shutting down"
        )

    def tracks(self, job_id: int) -> bool:
        return self._in_flight.tracks(job_id)

    def alive(self, session: Any, job_id: int) -> bool:
        """Whether this runner or another process's works on the job (app.in_flight)."""
        return self._in_flight.alive(session, job_id)

    def expect(self, job_id: int) -> None:
        """Count the job as this runner's from its creation (before its row is committed)."""
        self._in_flight.expect(job_id)

    def start(self, job_id: int) -> None:
        """Queue the job on the runner's thread and return at once (`inline`: run it here)."""
        self.expect(job_id)
        if self._mode == "inline":
            self._run(job_id)
            return
        try:
            self._threads.submit(self._run, job_id)
        except RuntimeError:  # shut down: the job stays queued, and fails when read
            self._done(job_id)

    def _run(self, job_id: int) -> None:
        from app.agreement_year.service import run_job  # the service imports this module

        try:
            run_job(self._engine, job_id, self._clock, compute=self._compute)
        except Exception:
            logger.exception("agreement-year job %s could not be run", job_id)
        finally:
            self._done(job_id)

    def _done(self, job_id: int) -> None:
        self._in_flight.done(job_id)

    def _compute(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """`solver.year.simulate_year(*args, **kwargs)`, in the worker process if there is one."""
        if self._mode == "inline":
            return simulate_year(*args, **kwargs)
        try:
            pool = self._pool.get(lambda: (os.getpid(),))
            return pool.submit(simulate_year, *args, **kwargs).result()
        except BrokenProcessPool:
            self._pool.reset()
            raise WorkerStopped(
                "the simulation's worker process stopped unexpectedly (out of memory?); "
                "submit the simulation again"
            ) from None

    def shutdown(self) -> None:
        """Finish the running simulation, leave the queued ones (they fail when read)."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._pool.close()
        self._in_flight.close()  # the queued jobs' leases: they fail when read
