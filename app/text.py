"""Text that no field may hold (`solver.text`: NUL and lone surrogates) in a request.

PostgreSQL cannot store NUL in a text column (SQLite can), and a lone surrogate cannot be
encoded at all, so a request that carries one would fail in the database or while writing
the response, on one backend and not on the other. It is refused before anything is read or
written: a 422 naming each field that holds it, the same on every backend. Routes check their
path, query and JSON body (`app.routing.VbpRoute`); round documents are checked by the engine,
bulk uploads at their lines.
"""

from itertools import islice
from typing import Any

from app.errors import InvalidInput, format_loc
from solver.text import NUL, TEXT_LIMIT, bad_text, text_problem

__all__ = ["NUL", "refuse_bad_text", "text_problem"]


def refuse_bad_text(data: Any, where: str) -> None:
    """422 if any string in `data` (a decoded JSON value, or the path or query parameters),
    or any key, cannot be stored; `where` is the part of the request it is (`body`, `path`,
    `query`)."""
    found = [(format_loc(loc), m) for loc, m in islice(bad_text(data, (where,)), TEXT_LIMIT)]
    if found:
        raise InvalidInput(f"text that cannot be stored: {', '.join(f for f, _ in found)}", found)
