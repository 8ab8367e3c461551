"""Which award jobs a live service process is working on, across processes (PostgreSQL).

`vbp serve --workers N` runs N processes, each with its own award runner. A queued or running
job that no runner works on was left behind by a process that stopped (app.award.service
fails it when the award is requested again); one that a runner in another process works on
must still answer 409. So, on PostgreSQL, a runner holds a session-level advisory lock on
each of its jobs, on a connection of its own, from the job's creation until its end is
recorded. A process that dies closes its connections, which releases its locks; any process
can see whether a job's lock is held (`held_elsewhere`). On SQLite the service runs in one
process, and the runner's own bookkeeping is the whole truth.
"""

import logging
import threading
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

logger = logging.getLogger("vbp.award")

# the first key of the two-key advisory lock: "vbpa" (vbp award) as a 32-bit integer; the
# agreement-year simulation's jobs use "vbpy"
NAMESPACE = 0x76627061
YEAR_NAMESPACE = 0x76627079
_LOCK = text("SELECT pg_advisory_lock(CAST(:ns AS integer), CAST(:job AS integer))")
_UNLOCK = text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:job AS integer))")
# pg_locks shows a two-key advisory lock as classid = key 1, objid = key 2, objsubid = 2
_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = CAST(:ns AS oid) AND objid = CAST(:job AS oid) AND objsubid = 2)"
)


class JobLease:
    """Advisory locks on the jobs of this process's runner (no-ops on SQLite), all held on one
    connection of the runner's own: however many jobs wait their turn, the leases take one
    connection from the pool, not one each."""

    def __init__(self, engine: Engine, namespace: int = NAMESPACE) -> None:
        self._engine = engine
        self._namespace = namespace
        self._enabled = engine.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _drop_connection(self) -> None:
        """Close a connection that failed (closing releases its locks for certain); the jobs
        still held are locked again on a new one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()
            conn.close()
        for job_id in self._held:
            self._connection().execute(_LOCK, {"ns": self._namespace, "job": job_id})

    def hold(self, job_id: int) -> None:
        if not self._enabled:
            return
        with self._lock:
            if job_id in self._held:
                return
            try:
                self._connection().execute(_LOCK, {"ns": self._namespace, "job": job_id})
            except Exception:
                self._drop_connection()
                raise
            self._held.add(job_id)

    def release(self, job_id: int) -> None:
        with self._lock:
            if job_id not in self._held:
                return
            self._held.discard(job_id)
            try:
                self._connection().execute(_UNLOCK, {"ns": self._namespace, "job": job_id})
            except Exception:
                logger.exception("could not release the lease of job %s", job_id)
                try:
                    self._drop_connection()
                except Exception:
                    logger.exception("could not take the leases of the running jobs again")

    def held(self, session: Session, job_id: int) -> bool:
        """Whether some process holds the job's lease (False on SQLite, where the service
        runs in one process and its runner's own bookkeeping is the whole truth)."""
        return held_elsewhere(session, job_id, self._namespace)

    def close(self) -> None:
        """Release every lease (the runner is shut down)."""
        with self._lock:
            self._held.clear()
            conn, self._conn = self._conn, None
        if conn is not None:
            # a session's advisory locks outlive a connection returned to the pool
            conn.invalidate()
            conn.close()


def held_elsewhere(session: Session, job_id: Any, namespace: int = NAMESPACE) -> bool:
    """Whether some process's runner holds the job (PostgreSQL; False elsewhere)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    held = session.execute(
        _HELD,
        {"ns": namespace, "job": job_id},
    ).scalar_one()
    return bool(held)
