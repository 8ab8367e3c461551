"""app.admission: at most `limit` requests in the application at once per process; /health is
not counted."""

import asyncio
from typing import Any

from app.admission import AdmissionLimit


def _run(limit: int, paths: list[str]) -> int:
    """The most requests that were inside the wrapped application at once."""
    inside = most = 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1

    limited = AdmissionLimit(app, limit=limit)

    async def main() -> None:
        await asyncio.gather(*(limited({"type": "http", "path": p}, None, None) for p in paths))

    asyncio.run(main())
    return most


def test_requests_beyond_the_limit_wait_their_turn() -> None:
    assert _run(2, ["/api/v1/rounds"] * 6) == 2


def test_no_limit_lets_every_request_in() -> None:
    assert _run(0, ["/api/v1/rounds"] * 6) == 6


def test_health_is_not_counted() -> None:
    assert _run(1, ["/health"] * 3) == 3
