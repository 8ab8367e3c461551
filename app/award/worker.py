"""The award engine away from the request: a worker process (default) or inline.

`AwardRunner` belongs to one app (`app.state.award_runner`, created on first use, shut down
with the app's lifespan). In `process` mode it owns a `ProcessPoolExecutor` on a `spawn`
context (one worker: awards are rare and heavy) that is created on the first job; the worker
reads the stored round as a round document itself (with an engine of its own on the
service's database: exporting a provincial round is seconds of Python, which in the API
process would slow every request it serves meanwhile), runs `solver.engine.simulate` and
returns the
outcome prepared for storing (app.award.rows: its canonical text, and its rows as COPY text on
PostgreSQL), so that the service process has little more to do than to write it. Progress comes back through a multiprocessing queue, read by a listener thread;
completions are handled by one finisher thread. So the API process never runs the solver and
stays responsive. In `inline` mode (tests that want determinism) the engine runs in the
request's background task, in the API process.

With several service processes (`vbp serve --workers N`) each has its own runner; a runner
holds a lease on each of its jobs (app.award.lease) so that the others know the job is alive.

This module imports only the engine, the standard library, app.award.rows and
app.parent_watch (which import nothing else) at the top, so a spawned worker starts quickly;
the worker ends with the service process that made it (app.parent_watch).
"""

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal

from app.award.rows import PreparedOutcome, prepare_outcome
from app.in_flight import InFlight, Lease
from app.parent_watch import exit_with_parent
from app.spawn_pool import SpawnPool
from solver.document import parse_round_document
from solver.engine import EngineError, simulate
from solver.errors import DocumentError
from solver.solvers import SolverConfig

logger = logging.getLogger("vbp.award")

Mode = Literal["process", "inline"]
ProgressSink = Callable[[int, str, int, int], None]
DoneSink = Callable[[int, "EngineResult"], None]


@dataclass(frozen=True)
class EngineRun:
    job_id: int
    # the round document; None: read the stored round `round_id` from `database_url`
    document: dict[str, Any] | None
    solver: str
    time_limit: float
    round_id: str = ""
    # prepare the outcome's rows as PostgreSQL COPY text (app.award.rows)
    copy: bool = False
    database_url: str | None = None


Exporter = Callable[[str], dict[str, Any]]  # a stored round's id -> its round document


def _document(run: EngineRun, export: Exporter | None) -> dict[str, Any]:
    if run.document is not None:
        return run.document
    if export is None:
        assert run.database_url is not None
        export = _worker_exporter(run.database_url)
    return export(run.round_id)


_exporters: dict[str, Exporter] = {}


def _worker_exporter(database_url: str) -> Exporter:
    """In the worker process: an exporter on an engine of its own (made on the first job, kept
    while the worker lives). Imported here, not at the top, so that the worker starts fast."""
    exporter = _exporters.get(database_url)
    if exporter is None:
        from functools import partial

        from app.db import make_engine
        from app.exchange.service import export_stored_round

        engine = make_engine(database_url, pool_size=1, max_overflow=1)
        exporter = _exporters[database_url] = partial(export_stored_round, engine)
    return exporter


@dataclass(frozen=True)
class EngineResult:
    """The outcome, ready to store, or a readable reason why there is none."""

    prepared: PreparedOutcome | None
    error: str | None


def run_engine(
    run: EngineRun,
    progress: Callable[[str, int, int], None] | None,
    export: Exporter | None = None,
) -> EngineResult:
    """The stored round's document in, its outcome (or a readable error) out."""
    try:
        round_ = parse_round_document(_document(run, export))
    except DocumentError as exc:
        problems = "; ".join(f"{path}: {message}" for path, message in exc.problems[:20])
        return EngineResult(None, f"the stored round is not a valid round document: {problems}")
    try:
        outcome = simulate(
            round_,
            solver=SolverConfig(name=run.solver, time_limit=run.time_limit),  # type: ignore[arg-type]
            progress=progress,
        )
    except EngineError as exc:
        return EngineResult(None, str(exc))
    # here, not in the service process: turning 180,000 outcome rows into text takes seconds
    return EngineResult(prepare_outcome(run.round_id, outcome, copy=run.copy), None)


def _unexpected(exc: BaseException) -> EngineResult:
    logger.error("award engine failed", exc_info=exc)
    return EngineResult(
        None, f"the engine failed unexpectedly ({type(exc).__name__}); see the service log"
    )


_BROKEN = EngineResult(
    None,
    "the award worker process stopped unexpectedly (out of memory?); request the award again",
)


# -- in the worker process -----------------------------------------------------------------

_progress_queue: Any = None


def _init_worker(progress_queue: Any, parent: int) -> None:
    global _progress_queue
    exit_with_parent(parent)
    _progress_queue = progress_queue


def _run_in_worker(run: EngineRun) -> EngineResult:
    queue = _progress_queue

    def progress(stage: str, done: int, total: int) -> None:
        if queue is not None:
            queue.put((run.job_id, stage, done, total))

    try:
        return run_engine(run, progress)
    except Exception as exc:  # a bug: the job fails with a readable error, the log has the rest
        return _unexpected(exc)


# -- in the API process ----------------------------------------------------------------------


class AwardRunner:
    def __init__(
        self,
        *,
        mode: Mode,
        on_progress: ProgressSink,
        on_done: DoneSink,
        max_workers: int = 1,
        lease: Lease | None = None,
        export: Exporter | None = None,
    ) -> None:
        if mode not in ("process", "inline"):
            raise ValueError(f"unknown award worker mode {mode!r}; use 'process' or 'inline'")
        self.mode = mode
        self._on_progress = on_progress
        self._on_done = on_done
        self._lock = threading.Lock()
        self._pool = SpawnPool(
            initializer=_init_worker,
            max_workers=max_workers,
            closed_message="the award runner is shut down",
        )
        self._queue: Any = None
        self._listener: threading.Thread | None = None
        self._finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vbp-award-finish")
        self._in_flight = InFlight(lease)
        self._export = export  # inline mode: reads the round on the app's engine

    def tracks(self, job_id: int) -> bool:
        """Whether this runner is working on the job (a queued or running job it does not
        track was left behind by a service that stopped)."""
        return self._in_flight.tracks(job_id)

    def alive(self, session: Any, job_id: int) -> bool:
        """Whether this runner or another process's works on the job (app.in_flight)."""
        return self._in_flight.alive(session, job_id)

    def expect(self, job_id: int) -> None:
        """Count a job as this runner's from its creation, before `start` is called."""
        self._in_flight.expect(job_id)

    def start(self, run: EngineRun) -> None:
        self.expect(run.job_id)
        if self.mode == "inline":
            try:
                result = run_engine(
                    run,
                    lambda stage, done, total: self._progress(run.job_id, stage, done, total),
                    self._export,
                )
            except Exception as exc:
                result = _unexpected(exc)
            self._complete(run.job_id, result)
            return
        try:
            pool = self._pool.get(lambda: (self._progress_queue(), os.getpid()))
            future = pool.submit(_run_in_worker, run)
        except BrokenProcessPool:
            self._pool.reset()
            self._complete(run.job_id, _BROKEN)
            return
        except RuntimeError:  # shut down
            self._complete(
                run.job_id,
                EngineResult(None, "the service is shutting down; request the award again"),
            )
            return
        job_id = run.job_id

        def collect_later(f: "Future[EngineResult]") -> None:
            self._finisher.submit(self._collect, job_id, f)

        future.add_done_callback(collect_later)

    def _progress(self, job_id: int, stage: str, done: int, total: int) -> None:
        try:
            self._on_progress(job_id, stage, done, total)
        except Exception:
            logger.exception("could not record the progress of award job %s", job_id)

    def _collect(self, job_id: int, future: "Future[EngineResult]") -> None:
        try:
            result = future.result()
        except CancelledError:
            result = EngineResult(
                None, "the service stopped before the award ran; request the award again"
            )
        except BrokenProcessPool:
            self._pool.reset()
            result = _BROKEN
        except Exception as exc:
            result = _unexpected(exc)
        self._complete(job_id, result)

    def _complete(self, job_id: int, result: EngineResult) -> None:
        try:
            self._on_done(job_id, result)
        except Exception:
            logger.exception("could not record the end of award job %s", job_id)
        finally:
            self._in_flight.done(job_id)

    def _progress_queue(self) -> Any:
        """The queue the worker reports progress on, and its listener, made on first use."""
        with self._lock:
            if self._queue is None:
                self._queue = multiprocessing.get_context("spawn").Queue()
                self._listener = threading.Thread(
                    target=self._listen, args=(self._queue,), name="vbp-award-progress", daemon=True
                )
                self._listener.start()
            return self._queue

    def _listen(self, queue: Any) -> None:
        while True:
            item = queue.get()
            if item is None:
                return
            self._progress(*item)

    def shutdown(self) -> None:
        """Finish the running award (graceful), fail the queued ones, stop the threads."""
        self._pool.close()
        with self._lock:
            queue, listener = self._queue, self._listener
            self._queue = self._listener = None
        self._finisher.shutdown(wait=True)
        if queue is not None:
            queue.put(None)
            if listener is not None:
                listener.join(timeout=10)
            queue.close()
            queue.join_thread()
        self._in_flight.close()
