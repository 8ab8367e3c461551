"""Every table model, imported in one place so `SQLModel.metadata` is complete (Alembic's
target metadata, the tests' cleanup). A new domain adds its `models` module here."""

from sqlmodel import SQLModel

from app.actors.models import Enterprise, Institution
from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.award import models as _award_models  # noqa: F401 (award jobs and outcomes)
from app.bids import models as _bids_models  # noqa: F401 (sealed bids)
from app.catalog.models import Group
from app.contracts import registry as _agreement_period  # noqa: F401 (contracts, orders, …)
from app.demand.models import DemandReport
from app.idempotency.models import IdempotencyKey
from app.rounds.models import Round

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "DemandReport",
    "Enterprise",
    "Group",
    "IdempotencyKey",
    "Institution",
    "Round",
    "metadata",
]
