"""At most `Settings.request_concurrency` requests in the application at once, per process; the
others wait their turn, in order of arrival.

Why: the handlers are plain `def`s that hold the GIL for most of their time (SQLAlchemy, pydantic,
a few short database round trips). Running 32 of them at once in one process (one thread each)
does not finish them sooner than running a few at a time: the threads take turns at the GIL,
and the switching costs CPU of its own (with 32 clients on two cores, about a third more CPU
per bid than with 3 at a time). The threadpool stays large (`threadpool_size`): a request that
holds a row lock must always find a thread for the rest of its work, such as serialising its
response, or the requests waiting for that lock could take every thread and never let it go.

/health is not counted, so that it answers while the service is busy.
"""

import asyncio
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from starlette.types import ASGIApp, Receive, Scope, Send


class AdmissionLimit:
    def __init__(self, app: ASGIApp, *, limit: int, exempt: Iterable[str] = ("/health",)) -> None:
        self.app = app
        self.limit = limit
        self.exempt = frozenset(exempt)
        # one semaphore per event loop (a TestClient may run several)
        self._semaphores: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit <= 0 or scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        async with semaphore:
            await self.app(scope, receive, send)
