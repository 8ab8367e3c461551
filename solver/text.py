"""The NUL character (U+0000) in a document's text.

No field of a round document means NUL, and PostgreSQL cannot store it (SQLite can): the
engine refuses it by path, so `vbp simulate`, the simulation route and a round's import answer
alike on every backend.
"""

from collections.abc import Iterator, Mapping
from typing import Any

NUL = "\x00"
NUL_MESSAGE = "contains the NUL character (U+0000), which no field may hold"
NUL_LIMIT = 20  # paths named at most: one is enough to correct the input


def nul_paths(data: Any, loc: tuple[int | str, ...] = ()) -> Iterator[tuple[int | str, ...]]:
    """The location of every string in `data` (decoded JSON or YAML) that holds NUL; a key
    that holds it is named with the NUL written as `\\u0000`."""
    if isinstance(data, str):
        if NUL in data:
            yield loc
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and NUL in key:
                yield (*loc, key.replace(NUL, "\\u0000"))
            yield from nul_paths(value, (*loc, key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from nul_paths(value, (*loc, i))
