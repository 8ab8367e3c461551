"""Problems of the agreement period (problem+json types under urn:vbp:problem:)."""

from app.errors import Conflict


class TooEarly(Conflict):
    """The action needs a day that has not come yet (a year that has not begun or ended)."""

    slug, title = "too-early", "Not possible yet"


class OutsideTerm(Conflict):
    """An order outside its contract's agreement year (before its start or after its end)."""

    slug, title = "outside-term", "Outside the contract's term"


class OrderState(Conflict):
    """An action that the order's status does not allow (accepting twice, delivering an
    accepted order, …); the problem names the order's status."""

    slug, title = "order-state", "Not allowed in the order's current status"


class NoBackupSupplier(Conflict):
    slug, title = "no-backup-supplier", "The region has no backup supplier"
