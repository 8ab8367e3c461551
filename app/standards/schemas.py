from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class PaymentStandardPublic(BaseModel):
    """医保支付标准 of one generic name in one group: the standard for originator, reference and
    GQCE products; non-GQCE products of the generic name are paid at most this."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    round_id: str
    group_id: str
    generic_name: str
    form_family: str
    standard: Decimal = Field(description="per representative unit (代表品最小单位), yuan")
    basis: str = Field(description="highest_winner or lowest_winner")
    applies_to: list[str] = Field(default=["originator", "reference", "gqce"])
    non_gqce_cap: Decimal = Field(description="non-GQCE products are paid at most this")
    effective_from: date
    effective_until: date
