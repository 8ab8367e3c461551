from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "at": "2026-11-02T09:30:00Z",
                    "actor_role": "bureau",
                    "actor_id": None,
                    "actor_name": "alice",
                    "round_id": "YN-2027-01",
                    "entity_type": "demand_report",
                    "entity_id": "YN-2027-01/H001/AML-ORAL",
                    "action": "review.adjust",
                    "before": {"reported": 90000, "review_status": "pending"},
                    "after": {
                        "reported": 90000,
                        "review_status": "adjusted",
                        "adjusted_volume": 110000,
                    },
                }
            ]
        },
    )

    id: int
    at: datetime
    actor_role: str
    actor_id: str | None
    actor_name: str
    round_id: str | None
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
