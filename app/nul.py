"""The NUL character (U+0000) in request text.

PostgreSQL cannot store it in a text column (SQLite can), so a request that carries one would
fail in the database on one backend and not on the other. No field of vbp means NUL, so it is
refused before anything is read or written: a 422 naming each field that holds it, the same on
every backend. Routes check their path, query and JSON body (`app.routing.VbpRoute`); round
documents are checked by the engine (`solver.text`), bulk uploads at their lines.
"""

from itertools import islice
from typing import Any

from app.errors import InvalidInput, format_loc
from solver.text import NUL, NUL_LIMIT, NUL_MESSAGE, nul_paths

__all__ = ["NUL", "refuse_nul"]


def refuse_nul(data: Any, where: str) -> None:
    """422 if any string in `data` (a decoded JSON value, or the path or query parameters),
    or any key, holds NUL; `where` is the part of the request it is (`body`, `path`, `query`)."""
    fields = [format_loc(p) for p in islice(nul_paths(data, (where,)), NUL_LIMIT)]
    if fields:
        raise InvalidInput(
            f"text with the NUL character: {', '.join(fields)}", [(f, NUL_MESSAGE) for f in fields]
        )
