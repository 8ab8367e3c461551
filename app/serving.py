"""`vbp serve`: uvicorn in one process, or in several worker processes.

Several workers each listen on a socket of their own, bound to the same address with
SO_REUSEPORT, so that the kernel spreads connections evenly over them. (uvicorn's own
`--workers` shares one socket: a burst of connections, such as 32 clients opening theirs at
once, is accepted by whichever process wakes first, and one process serves them all while the
others idle.) The parent starts the workers, passes SIGINT/SIGTERM on to them, and starts a
worker again in place of one that stopped by itself (killed, out of memory): the others go on
serving meanwhile. Only a worker that keeps stopping (`MAX_RESTARTS` within `RESTART_WINDOW`
seconds, e.g. a database that is gone) stops the whole service, with exit status 1.

Each worker is a whole service: its own engine and connection pool, its own threadpool and its
own award runner (app.award: jobs are known across processes through the database).
"""

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.connection import wait
from types import FrameType
from typing import cast

logger = logging.getLogger("uvicorn.error")


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket bound to (host, port). The protocol number is given because asyncio sets
    TCP_NODELAY only on connections whose socket says IPPROTO_TCP; without it each keep-alive
    response (headers and body are two writes) waits about 40 ms for the client's delayed
    ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _run_worker(host: str, port: int, log_level: str) -> None:
    """One worker process: a uvicorn server on a SO_REUSEPORT socket of its own."""
    import uvicorn

    config = uvicorn.Config(
        "app.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(host, port, reuse_port=True)])


MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


def run_workers(host: str, port: int, *, workers: int, log_level: str) -> int:
    """Run `workers` worker processes until a signal stops them (exit status 0); a worker that
    stops by itself is started again, unless workers keep stopping (then all are stopped;
    exit status 1)."""
    # Bound here first, so that a port in use fails at once, in the parent (and port 0
    # becomes one port for all); the workers' sockets join it (SO_REUSEPORT). It never
    # listens, and is closed once they are started.
    probe = listening_socket(host, port, reuse_port=True)
    port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")

    def new_worker(i: int) -> multiprocessing.process.BaseProcess:
        return context.Process(
            target=_run_worker, args=(host, port, log_level), name=f"vbp-worker-{i + 1}"
        )

    processes = [new_worker(i) for i in range(workers)]
    stopping = False
    restarts: list[float] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn shuts down gracefully

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.start()
        if stopping:  # a signal came while it started: `stop` may have missed it
            process.terminate()
    logger.info(
        "vbp serving on http://%s:%d with %d worker processes %s",
        host,
        port,
        workers,
        [p.pid for p in processes],
    )
    probe.close()
    sentinels = {p.sentinel: (i, p) for i, p in enumerate(processes)}
    failed = False
    while sentinels:
        for ready in wait(list(sentinels)):
            i, process = sentinels.pop(cast(int, ready))
            process.join()
            if stopping:
                continue
            now = time.monotonic()
            restarts[:] = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
            if len(restarts) > MAX_RESTARTS:
                failed = True
                logger.error(
                    "worker process %s stopped (exit code %s), the %d-th time within %.0f s; "
                    "stopping the others",
                    process.pid,
                    process.exitcode,
                    len(restarts),
                    RESTART_WINDOW,
                )
                stop(signal.SIGTERM, None)
                continue
            replacement = new_worker(i)
            processes[i] = replacement
            replacement.start()
            sentinels[replacement.sentinel] = (i, replacement)
            if stopping:  # a signal came while it started: `stop` may have missed it
                replacement.terminate()
                continue
            logger.error(
                "worker process %s stopped (exit code %s); started %s in its place",
                process.pid,
                process.exitcode,
                replacement.pid,
            )
    return 1 if failed else 0
