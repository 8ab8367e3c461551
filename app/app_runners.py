"""The runners of an app (award jobs, agreement-year simulations): one each per app, made on
first use (a worker process only on its first job) and shut down with the app."""

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Literal, Protocol, TypeVar

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

Mode = Literal["process", "inline"]


class Runner(Protocol):
    def shutdown(self) -> None: ...


R = TypeVar("R", bound=Runner)
_lock = threading.Lock()


def worker_mode(app: FastAPI) -> Mode:
    """`process` (default) or `inline`, from the setting VBP_AWARD_WORKER (award_worker)."""
    mode: Mode = getattr(app.state.settings, "award_worker", "process")
    return mode


def app_runner(app: FastAPI, name: str, make: Callable[[FastAPI], R]) -> R:
    """`app.state.<name>`, made by `make(app)` the first time it is asked for."""
    runner: R | None = getattr(app.state, name, None)
    if runner is None:
        with _lock:
            runner = getattr(app.state, name, None)
            if runner is None:
                runner = make(app)
                setattr(app.state, name, runner)
    return runner


def shut_down_with_app(name: str) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A router lifespan that shuts `app.state.<name>` down, if it was made, as the app stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runner: Runner | None = getattr(app.state, name, None)
        if runner is not None:
            await run_in_threadpool(runner.shutdown)

    return lifespan
