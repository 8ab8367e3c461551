"""`vbp serve`: uvicorn in one process, or in several worker processes.

Several workers each listen on a socket of their own, bound to the same address with
SO_REUSEPORT, so that the kernel spreads connections evenly over them. (uvicorn's own
`--workers` shares one socket: a burst of connections, such as 32 clients opening theirs at
once, is accepted by whichever process wakes first, and one process serves them all while the
others idle.) The parent only starts the workers, passes SIGINT/SIGTERM on to them and stops
them all when one of them stops.

Each worker is a whole service: its own engine and connection pool, its own threadpool and its
own award runner (app.award: jobs are known across processes through the database).
"""

import logging
import multiprocessing
import signal
import socket
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


def run_workers(host: str, port: int, *, workers: int, log_level: str) -> int:
    """Run `workers` worker processes until a signal stops them (exit status 0) or one of them
    stops by itself (the others are stopped too; exit status 1)."""
    # Bound here first, so that a port in use fails at once, in the parent (and port 0
    # becomes one port for all); the workers' sockets join it (SO_REUSEPORT). It never
    # listens, and is closed once they are started.
    probe = listening_socket(host, port, reuse_port=True)
    port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_run_worker, args=(host, port, log_level), name=f"vbp-worker-{i + 1}"
        )
        for i in range(workers)
    ]
    stopping = False

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
    logger.info(
        "vbp serving on http://%s:%d with %d worker processes %s",
        host,
        port,
        workers,
        [p.pid for p in processes],
    )
    probe.close()
    sentinels = {p.sentinel: p for p in processes}
    failed = False
    while sentinels:
        for ready in wait(list(sentinels)):
            process = sentinels.pop(cast(int, ready))
            process.join()
            if not stopping:
                failed = True
                logger.error(
                    "worker process %s stopped (exit code %s); stopping the others",
                    process.pid,
                    process.exitcode,
                )
                stop(signal.SIGTERM, None)
    return 1 if failed else 0
