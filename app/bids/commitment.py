"""The commitment of a sealed bid (SPEC §5): SHA-256 of its canonical content.

The canonical content is a JSON object with sorted keys and no whitespace (UTF-8), holding the
round, enterprise and group ids, the version, a random 128-bit nonce, the submission instant
and the bid itself (product, pack price, capacity, revival). Decimals are normalised strings
("9.80" → "9.8", "1E+2" → "100"), so the same bid always gives the same text; the instant is
UTC with microseconds ("2026-11-16T09:00:00.000000Z").

The nonce is what keeps the commitment sealed: without it, a low-entropy price (a few thousand
plausible values) could be recovered by hashing every candidate. The enterprise receives the
nonce with its receipt; everyone else sees it only when the bids are opened, next to the
price, and can then recompute the hash.
"""

import hashlib
import json
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

ALGORITHM = "sha256"
SCHEME = (
    "sha256 over the UTF-8 bytes of `canonical`: JSON with sorted keys and no whitespace of "
    "{round, enterprise, group, version, nonce, submitted_at, product, pack_price, capacity, "
    "accept_revival}; decimals as normalised strings, submitted_at as UTC "
    "YYYY-MM-DDTHH:MM:SS.ffffffZ"
)


def new_nonce() -> str:
    """128 random bits, as 32 hex digits."""
    return secrets.token_hex(16)


def decimal_text(value: Decimal) -> str:
    """The normalised text of a decimal: no exponent, no trailing zeros ("9.80" → "9.8")."""
    text = format(value.normalize(), "f")
    return text


def instant_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("a commitment needs a timezone-aware instant")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bid(
    *,
    round_id: str,
    enterprise_id: str,
    group_id: str,
    version: int,
    nonce: str,
    submitted_at: datetime,
    product: dict[str, Any],
    pack_price: Decimal,
    capacity: int,
    accept_revival: bool,
) -> str:
    """The exact text that is hashed. `product` holds strength, strength_unit, units_per_pack,
    dosage_form, quality, fill_volume and fill_unit (None for a solid)."""

    def norm(value: Any) -> Any:
        return decimal_text(value) if isinstance(value, Decimal) else value

    content = {
        "round": round_id,
        "enterprise": enterprise_id,
        "group": group_id,
        "version": version,
        "nonce": nonce,
        "submitted_at": instant_text(submitted_at),
        "product": {k: norm(v) for k, v in product.items()},
        "pack_price": decimal_text(pack_price),
        "capacity": capacity,
        "accept_revival": accept_revival,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def commitment_of(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
