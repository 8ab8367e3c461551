"""Text that no field may hold: the NUL character (U+0000) and lone surrogates (U+D800–U+DFFF,
which JSON can spell as `\\ud800` but which are not characters).

PostgreSQL cannot store NUL (SQLite can), and neither database nor an output stream can
encode a lone surrogate. No field of a round document means either, so the engine refuses
them by path, and `vbp simulate`, the simulation route and a round's import answer alike on
every backend.
"""

from collections.abc import Iterator, Mapping
from typing import Any

NUL = "\x00"
NUL_MESSAGE = "contains the NUL character (U+0000), which no field may hold"
SURROGATE_MESSAGE = "contains a lone surrogate (U+D800–U+DFFF), which is not text"
TEXT_LIMIT = 20  # fields named at most: one is enough to correct the input

Loc = tuple[int | str, ...]


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    if NUL in text:
        return NUL_MESSAGE
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def _shown(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace(NUL, "\\u0000")


def bad_text(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """(location, message) of every string in `data` (decoded JSON or YAML) that cannot be
    stored; a key that cannot is named with the character escaped."""
    if isinstance(data, str):
        problem = text_problem(data)
        if problem is not None:
            yield loc, problem
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str):
                problem = text_problem(key)
                if problem is not None:
                    yield (*loc, _shown(key)), problem
                    continue
            yield from bad_text(value, (*loc, key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from bad_text(value, (*loc, i))
