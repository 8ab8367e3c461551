"""The service's clock, injectable (SPEC §10): tests and simulations never sleep.

`create_app(settings, clock=FixedClock(...))` puts a clock on `app.state.clock`; handlers take
`ClockDep` and pass `now` into services, which never read a clock themselves.
"""

import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from fastapi import Depends, Request


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self._lock = threading.Lock()
        self._now = _aware(at)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, at: datetime) -> None:
        with self._lock:
            self._now = _aware(at)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return at.astimezone(UTC)


async def get_clock(request: Request) -> Clock:
    # async: it blocks on nothing, so FastAPI runs it on the event loop (no threadpool hop)
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
