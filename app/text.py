"""Text that no field may hold (`solver.text`: NUL and lone surrogates) in a request.

PostgreSQL cannot store NUL in a text column (SQLite can), and a lone surrogate cannot be
encoded at all, so a request that carries one would fail in the database or while writing
the response, on one backend and not on the other. It is refused before anything is read or
written: a 422 naming each field that holds it, the same on every backend. Routes check their
path, query and JSON body (`screen`, which also turns away a JSON body sent as another media
type); round documents are checked by the engine, bulk uploads at their lines.
"""

import json
from itertools import islice
from typing import Any

from fastapi import Request

from app.common import media_type
from app.errors import InvalidInput, UnsupportedMediaType, format_loc
from solver.text import NUL, TEXT_LIMIT, bad_text, text_problem


def refuse_bad_text(data: Any, where: str) -> None:
    """422 if any string in `data` (a decoded JSON value, or the path or query parameters),
    or any key, cannot be stored; `where` is the part of the request it is (`body`, `path`,
    `query`)."""
    found = [(format_loc(loc), m) for loc, m in islice(bad_text(data, (where,)), TEXT_LIMIT)]
    if found:
        raise InvalidInput(f"text that cannot be stored: {', '.join(f for f, _ in found)}", found)


async def screen(request: Request) -> None:
    """What FastAPI would take but should not: a JSON body sent as another media type (415:
    FastAPI would answer an unhelpful 422 "Input should be a valid dictionary" at `body`,
    e.g. for `curl -d` without a Content-Type), and text no field may hold (422 naming each
    path parameter, query parameter or JSON body field, `app.text`). The checks that find
    nothing are substring searches: nothing is parsed twice for an ordinary request.

    Run by the access declaration (`app.auth.deps`) once the caller is known and allowed, so
    that 401 and 403 come first, as for any other request."""
    scope = request.scope
    route = scope.get("route")  # the APIRoute that matched (FastAPI sets it)
    json_body = getattr(route, "body_field", None) is not None
    if NUL in scope["path"]:
        refuse_bad_text(request.path_params, "path")
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        items = request.query_params.multi_items()
        refuse_bad_text({k: v for k, v in items if text_problem(k) or text_problem(v)}, "query")
    if json_body:
        body = await request.body()
        sent = media_type(request.headers.get("content-type"))
        if body and sent != "application/json" and not sent.endswith("+json"):
            raise UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json` "
                f"(this request sent {sent or 'none'})"
            )
        # NUL is spelled \u0000 in JSON, a surrogate \uD800 … \uDFFF (or in lower case)
        if b"\\u0000" in body or b"\\ud" in body or b"\\uD" in body:
            try:
                data = json.loads(body)
            except ValueError:
                return  # FastAPI reports the invalid JSON
            refuse_bad_text(data, "body")
