"""Errors of the engine: every one names the path of the offending field."""

import re
from collections.abc import Iterable, Sequence

from pydantic import ValidationError

_PYDANTIC_TAG = re.compile(
    r"^(constrained-str|lax-or-strict|str|int|bool|decimal|float|none|"
    r"(list|dict|tuple|set)\[.*\]|literal\[.*\])$"
)


def format_path(loc: Iterable[int | str], prefix: str = "") -> str:
    """('bids', 3, 'pack_price') -> 'bids[3].pack_price'."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or _PYDANTIC_TAG.match(part):
            continue  # pydantic's validator and union-member names say nothing to a user
        else:
            out += f".{part}" if out else part
    return out or "(document)"


def errors_from_pydantic(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        found.append((format_path(err["loc"], prefix), message))
    return found


class DocumentError(ValueError):
    """A round document or rule set that cannot be evaluated.

    `problems` is a list of (path, message), e.g. ('bids[3].pack_price', 'must be positive').
    """

    def __init__(self, problems: Sequence[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in self.problems))

    def __str__(self) -> str:
        return "\n".join(f"{path}: {msg}" for path, msg in self.problems)
