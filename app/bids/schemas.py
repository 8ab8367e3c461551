from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)

from app.catalog.models import QualityTier
from app.catalog.schemas import Specification
from app.common import Identifier
from solver.document import plain

_PRICE_MESSAGE = 'must be a positive decimal string with at most 6 decimal places, e.g. "9.80"'


def _sealed_price(value: object) -> Decimal:
    """A pack price. The messages never repeat the value: a sealed price must not come back in
    an error body (SPEC §5)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(_PRICE_MESSAGE)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValueError(_PRICE_MESSAGE) from None
    if not number.is_finite() or number <= 0:
        raise ValueError(_PRICE_MESSAGE)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -6 or number >= Decimal(10) ** 12:
        raise ValueError(_PRICE_MESSAGE)
    return plain(number)  # "1e2" is 100


PackPrice = Annotated[
    Decimal,
    BeforeValidator(_sealed_price),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d{1,6})?$", "examples": ["9.80"]}),
]

PRODUCT_EXAMPLE: dict[str, Any] = {
    "strength": "10",
    "strength_unit": "mg",
    "units_per_pack": 28,
    "dosage_form": "tablet",
    "quality": "gqce",
}
BID_FIELDS_EXAMPLE: dict[str, Any] = {
    "product": PRODUCT_EXAMPLE,
    "pack_price": "9.80",
    "capacity": 5000000,
    "accept_revival": False,
}
BID_EXAMPLE: dict[str, Any] = {"group": "AML-ORAL", **BID_FIELDS_EXAMPLE}


class Product(Specification):
    """The product bid (SPEC §4): strength, pack, dosage form, quality tier; fill volume for
    liquids."""

    units_per_pack: StrictInt = Field(ge=1, le=100_000)
    quality: QualityTier


class BidFields(BaseModel):
    """A bid's content: an amendment sends these (the group is in the path)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BID_FIELDS_EXAMPLE]})

    product: Product
    pack_price: PackPrice = Field(description="yuan per pack, a decimal string")
    capacity: StrictInt = Field(
        ge=0,
        le=10**15,
        description="declared annual capacity in minimal units of the representative spec; "
        "0 is accepted and makes the bid invalid (`no_capacity`, SPEC §4)",
    )
    accept_revival: StrictBool = Field(
        default=False, description="复活: accept the highest winning price if not qualified"
    )


class BidCreate(BidFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BID_EXAMPLE]})

    group: Identifier


class ProductPublic(BaseModel):
    strength: Decimal
    strength_unit: str
    units_per_pack: int
    dosage_form: str
    quality: QualityTier
    fill_volume: Decimal | None = None
    fill_unit: str | None = None


BidStatus = Literal["live", "withdrawn", "replaced"]


class BidVersion(BaseModel):
    """One version of the calling enterprise's own bid, with everything it submitted."""

    round_id: str
    group: str
    enterprise: str
    version: int
    status: BidStatus = Field(
        description="live: the current bid; withdrawn: withdrawn (no content); replaced: an "
        "earlier version"
    )
    submitted_at: datetime = Field(description="when this version was made")
    submitted_by: str
    product: ProductPublic | None
    pack_price: Decimal | None
    capacity: int | None
    accept_revival: bool | None
    nonce: str | None
    commitment: str | None
    canonical: str | None = Field(description="the exact text whose SHA-256 is the commitment")


class Receipt(BidVersion):
    """The receipt of a submission (SPEC §5). Keep the nonce: with it and the canonical text
    anyone can recompute the commitment once the bids are opened."""

    algorithm: Literal["sha256"] = "sha256"
    scheme: str
    unit_comparable_price: Decimal = Field(
        description="单位可比价 of this bid (SPEC §4), for the enterprise's information"
    )


class BidListItem(BaseModel):
    """A bid in a round's list. Before opening the bureau sees only who bid in which group and
    when (`sealed: true`, every other field null); the enterprise sees its own bids in full.
    After opening everyone sees prices beside commitments and nonces."""

    round_id: str
    group: str
    enterprise: str
    status: BidStatus
    submitted_at: datetime
    sealed: bool
    version: int | None = None
    product: ProductPublic | None = None
    pack_price: Decimal | None = None
    capacity: int | None = None
    accept_revival: bool | None = None
    unit_comparable_price: Decimal | None = None
    nonce: str | None = None
    commitment: str | None = None
    canonical: str | None = None
