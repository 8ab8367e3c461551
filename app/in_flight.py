"""The jobs a runner (award, agreement-year simulation) works on: known in its own process
(a set) and, through a lease each (app.award.lease), in the service's other processes, from
the job's creation until its end is recorded. A queued or running job that no runner tracks
was left behind by a process that stopped. Standard library only: the award's worker process
imports this module's importer."""

import threading
from typing import Any, Protocol


class Lease(Protocol):
    """Tells other service processes that this runner works on a job (app.award.lease)."""

    def hold(self, job_id: int) -> None: ...

    def release(self, job_id: int) -> None: ...

    def close(self) -> None: ...

    def held(self, session: Any, job_id: int) -> bool:
        """Whether some process holds the job's lease (seen through `session`)."""
        ...


class InFlight:
    def __init__(self, lease: Lease | None) -> None:
        self._lease = lease
        self._lock = threading.Lock()
        self._jobs: set[int] = set()

    def tracks(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._jobs

    def alive(self, session: Any, job_id: int) -> bool:
        """Whether a runner works on the job: this one, or another process's (its lease). A
        queued or running job that none works on was left behind by a process that stopped."""
        return self.tracks(job_id) or (
            self._lease is not None and self._lease.held(session, job_id)
        )

    def expect(self, job_id: int) -> None:
        """Count the job as the runner's (call it before the job's row is committed)."""
        with self._lock:
            new = job_id not in self._jobs
            self._jobs.add(job_id)
        if new and self._lease is not None:
            self._lease.hold(job_id)

    def close(self) -> None:
        """The runner is shut down: whatever it still held is no longer its."""
        with self._lock:
            self._jobs.clear()
        if self._lease is not None:
            self._lease.close()

    def done(self, job_id: int) -> None:
        """The job's end is recorded: it is no longer the runner's."""
        with self._lock:
            self._jobs.discard(job_id)
        if self._lease is not None:
            self._lease.release(job_id)
