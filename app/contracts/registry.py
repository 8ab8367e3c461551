"""The agreement period's table modules and routers, registered in one line each by
app.tables and app.main."""

from typing import Any

from app.agreement_year import models as _jobs  # noqa: F401
from app.contracts import models as _contracts  # noqa: F401
from app.credit import models as _credit  # noqa: F401
from app.ledger import models as _ledger  # noqa: F401
from app.orders import models as _orders  # noqa: F401
from app.standards import models as _standards  # noqa: F401


def routers() -> list[Any]:
    from app.agreement_year.router import router as agreement_year
    from app.contracts.router import router as contracts
    from app.credit.router import router as credit
    from app.exports.router import router as exports
    from app.ledger.router import router as ledger
    from app.orders.router import router as orders
    from app.standards.router import router as standards

    return [contracts, orders, ledger, credit, standards, agreement_year, exports]
