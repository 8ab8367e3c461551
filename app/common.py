"""Small shared API pieces: identifiers, pages, timestamps, model responses."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Generic, TypeVar
from urllib.parse import quote

import annotated_types
from fastapi import Query, Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from solver.document import positive_decimal

# Ids are chosen by the bureau (they match the round document's ids) and appear in URLs:
# letters (any script), digits, '_', '.', '-'; no '/' or spaces.
ID_PATTERN = r"^\w[\w.\-]{0,99}$"
Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=100),
    Field(examples=["YN-2027-01"]),
]

# The largest whole number SQLite stores (and PostgreSQL's bigint): a row id, year or cursor
# beyond it is refused with a 422 that names it, instead of reaching the database driver.
MAX_INT = 2**63 - 1
# A row's number (orders, invoices, contracts, jobs, tokens) in a path or a query (text) …
RowId = Annotated[int, annotated_types.Interval(ge=1, le=MAX_INT)]
# … and in a JSON body, where it must be a JSON integer: not `true`, `1.0` or `"1"`.
BodyRowId = Annotated[StrictInt, annotated_types.Interval(ge=1, le=MAX_INT)]
# An agreement year (1, 2, …) as a query parameter.
YearQuery = Annotated[
    int | None, Query(ge=1, le=MAX_INT, description="agreement year; default: the current one")
]

T = TypeVar("T")


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json` ('' for none)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def location(path: str) -> str:
    """`path` as a `Location` header: ids may be in any script (ID_PATTERN), a header is
    Latin-1, so each segment is percent-encoded as UTF-8 (RFC 3986); ASCII ids stay as they
    are."""
    return quote(path)


def content_disposition(filename: str) -> str:
    """An attachment's header (RFC 6266): an ASCII `filename` for every client, and the exact
    name as `filename*` (RFC 8187) when it is not ASCII."""
    plain = "".join(c if c.isascii() and c.isprintable() and c != '"' else "_" for c in filename)
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Page(BaseModel, Generic[T]):
    """One page of a list. Pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="cursor of the next page; null on the last page"
    )


def decode_cursor(cursor: str | None) -> int | None:
    """Cursors are opaque to clients; here they are the last id of the previous page."""
    from app.errors import InvalidInput

    if cursor is None:
        return None
    # ASCII digits only ('²' is a digit to str.isdigit, not to int()), and not beyond MAX_INT
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19 and int(cursor) <= MAX_INT):
        raise InvalidInput("invalid cursor", [("query.cursor", "use next_cursor of a page")])
    return int(cursor)


def encode_cursor(last_id: int | None) -> str | None:
    return None if last_id is None else str(last_id)


# Money, prices and strengths: the round document's rule (1e-9 … 1e12, at most 18 significant
# digits, never a float's binary noise), so that what the API stores exports as a document
# that imports again.
PositiveDecimal = Annotated[
    Decimal,
    BeforeValidator(positive_decimal),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["0.5000"]}),
]


def model_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`model` as the JSON response, as FastAPI would write it for the route's
    `response_model`, without validating it a second time (the model was validated when it
    was made): for the frequent writes (bid receipts)."""
    return Response(
        model.model_dump_json(by_alias=True),
        status_code=status_code,
        headers=dict(headers or {}),
        media_type="application/json",
    )
