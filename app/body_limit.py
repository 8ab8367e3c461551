"""At most `Settings.max_body_bytes` of request body: beyond it, a 413 problem+json.

A body announced as too large (`Content-Length`) is refused before a byte of it is read; one
sent without a length (chunked) is counted as it arrives, and the request is refused when it
passes the limit (`BodyTooLarge`, raised from `receive` into whatever reads the body).
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import DomainError, domain_problem


class BodyTooLarge(DomainError):
    status, slug, title = 413, "body-too-large", "Request body too large"


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> str:
        return f"the request body may hold at most {self.max_bytes:,} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            response = domain_problem(
                BodyTooLarge(self._detail()),
                scope["path"],
                headers={"Connection": "close"},  # the unread body is not drained
            )
            await response(scope, receive, send)
            return
        if chunked is None:
            # the server reads no more than Content-Length (or no body without one)
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self._detail())
            return message

        await self.app(scope, counted, send)
