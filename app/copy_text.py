"""PostgreSQL's COPY text format for plain values (None, bool, int, float, Decimal, date,
datetime, str). Standard library only: the award's worker process encodes an outcome's rows
with it (app.award.rows), so that the service process only streams the text to PostgreSQL.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return text.translate(_ESCAPES) if NEEDS_ESCAPE.search(text) else text


def copy_lines(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as COPY text, one line per row, the values in the order of `columns`."""
    return "".join("\t".join([copy_value(row[name]) for name in columns]) + "\n" for row in rows)
