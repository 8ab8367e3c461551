from typing import Any

from pydantic import BaseModel, Field

from app.rounds.schemas import RoundPublic

# A minimal round document: the example of ROUND_DOCUMENT.md.
DOCUMENT_EXAMPLE: dict[str, Any] = {
    "round": {"id": "YN-2027-01", "name": "Yunnan 2027 round 1", "agreement_start": "2027-01-01"},
    "rules": {"profile": "batch7", "overrides": {"prepay_ratio": "0.30"}},
    "groups": [
        {
            "id": "AML-ORAL",
            "generic_names": ["amlodipine"],
            "form_family": "oral_regular",
            "representative": {"strength": "5", "strength_unit": "mg", "dosage_form": "tablet"},
            "ceiling": "0.5000",
            "pre_vbp_unit_price": "0.9000",
            "ratio_table": "standard",
        }
    ],
    "institutions": [{"id": "H001", "name": "First People's Hospital", "region": "KM"}],
    "demands": [
        {
            "institution": "H001",
            "group": "AML-ORAL",
            "reported": 120000,
            "last_year_usage": 130000,
            "preferred_enterprise": None,
        }
    ],
    "enterprises": [{"id": "E01", "name": "Dian Pharma", "credit_level": None}],
    "bids": [
        {
            "enterprise": "E01",
            "group": "AML-ORAL",
            "product": {
                "strength": "10",
                "strength_unit": "mg",
                "units_per_pack": 28,
                "dosage_form": "tablet",
                "quality": "gqce",
            },
            "pack_price": "9.80",
            "capacity": 5000000,
            "submitted_at": "2026-12-01T10:00:00+08:00",
            "accept_revival": False,
        }
    ],
}

DOCUMENT_YAML_EXAMPLE = """round: {id: YN-2027-01, name: Yunnan 2027 round 1}
groups:
  - id: AML-ORAL
    generic_names: [amlodipine]
    form_family: oral_regular
    representative: {strength: "5", strength_unit: mg, dosage_form: tablet}
    ceiling: "0.5000"
    pre_vbp_unit_price: "0.9000"
institutions: [{id: H001, region: KM}]
demands: [{institution: H001, group: AML-ORAL, reported: 120000, last_year_usage: 130000}]
"""


def document_body(description: str) -> dict[str, Any]:
    """The OpenAPI request body of a route that takes a round document as JSON or YAML."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "description": "a round document"},
                    "example": DOCUMENT_EXAMPLE,
                },
                "application/yaml": {
                    "schema": {"type": "string"},
                    "example": DOCUMENT_YAML_EXAMPLE,
                },
            },
        }
    }


class ImportResult(BaseModel):
    round: RoundPublic
    registered_institutions: list[str] = Field(description="institutions the import registered")
    registered_enterprises: list[str] = Field(description="enterprises the import registered")
    demands: int
    bids: int
