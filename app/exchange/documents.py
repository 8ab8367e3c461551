"""Round documents in HTTP bodies: JSON or YAML in, validated `solver.document.Round` out.

Shared by POST /api/v1/simulations and POST /api/v1/rounds:import. Every problem is a 422
problem+json whose `errors` name the document path (`bids[3].pack_price`), as the engine
reports them.
"""

from typing import Any

from app.common import media_type
from app.errors import InvalidInput, UnsupportedMediaType
from app.simulate_cli import InputError, decode_document
from solver.document import Round, parse_round_document
from solver.errors import DocumentError
from solver.rules import PROFILES

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def decode_body(body: bytes, content_type: str | None) -> Any:
    """The decoded document (plain dicts and lists)."""
    kind = media_type(content_type)
    if kind not in JSON_TYPES + YAML_TYPES:
        raise UnsupportedMediaType(
            "send the round document as application/json or application/yaml, "
            f"not {kind or 'nothing'}"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("invalid round document", [("body", "not UTF-8 text")]) from None
    try:
        return decode_document(text, yaml_=kind in YAML_TYPES, name="the body")
    except InputError as exc:
        raise InvalidInput("invalid round document", [("body", str(exc))]) from None


def document_problems(exc: DocumentError) -> InvalidInput:
    return InvalidInput(
        f"invalid round document: {len(exc.problems)} problem(s)", list(exc.problems)
    )


def parse_document(
    data: Any, *, profile: str | None = None, overrides: dict[str, Any] | None = None
) -> Round:
    """The validated document; `profile` comes from the query (`?profile=`), so an unknown
    one is reported as `query.profile`, not as the document's `rules.profile`."""
    if profile is not None and profile not in PROFILES:
        raise InvalidInput(
            "invalid simulation options",
            [("query.profile", f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")],
        )
    try:
        return parse_round_document(data, profile=profile, overrides=overrides)
    except DocumentError as exc:
        raise document_problems(exc) from None
