# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""Each actor reaches only its own contracts, orders, invoices and receivables: another
actor of the same role is told the resource does not exist (404 problem+json), whatever it
tries to do with it. (tests/api/test_access.py walks every route for 401 and 403.)"""

from datetime import date

from tests.api.conftest import assert_problem
from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    Period,
    api,
    app,
    client,
    period,
)


def test_another_actor_of_the_same_role_finds_nothing(period: Period) -> None:
    invoice = period.buy("H001", 7000, ordered=date(2027, 1, 4))  # H001 buys from E01
    order_id, invoice_id = invoice["order_id"], invoice["id"]
    contract_id = invoice["contract_id"]
    period.today(date(2027, 1, 8))
    open_order = period.place("H001", 100)
    owners = [
        ("GET", f"/api/v1/contracts/{contract_id}", None, ("H001", "E01")),
        ("GET", f"/api/v1/orders/{order_id}", None, ("H001", "E01")),
        ("GET", f"/api/v1/invoices/{invoice_id}", None, ("H001", "E01")),
        ("POST", f"/api/v1/orders/{open_order['id']}/delivery", {}, ("E01",)),
        ("POST", f"/api/v1/orders/{open_order['id']}/backup", None, ("H001",)),
        ("POST", f"/api/v1/orders/{order_id}/acceptance", {}, ("H001",)),
        ("POST", f"/api/v1/orders/{order_id}/rejection", {"reason": "x"}, ("H001",)),
        ("POST", f"/api/v1/invoices/{invoice_id}/payments", {"amount": "1.00"}, ("H001",)),
        ("GET", "/api/v1/institutions/H001/invoices", None, ("H001",)),
        ("GET", "/api/v1/enterprises/E01/receivables", None, ("E01",)),
        ("GET", "/api/v1/enterprises/E01/supply-record", None, ("E01",)),
    ]
    others = {"H001": "H002", "E01": "E02"}
    for method, url, body, owned_by in owners:
        for owner in owned_by:
            kwargs = {} if body is None else {"json": body}
            r = period.client.request(method, url, headers=period.who(others[owner]), **kwargs)
            problem = assert_problem(r, 404, type_suffix="not-found")
            assert problem["detail"].startswith("no "), (method, url, problem)
    # nothing above changed anything
    assert (
        period.client.get(f"/api/v1/orders/{open_order['id']}", headers=period.bureau).json()[
            "status"
        ]
        == "placed"
    )

    # and the lists hold only the caller's own
    def listed(url: str, actor: str) -> list[dict[str, object]]:
        items: list[dict[str, object]] = period.client.get(url, headers=period.who(actor)).json()[
            "items"
        ]
        return items

    for url in ("/api/v1/contracts", "/api/v1/orders", "/api/v1/invoices"):
        assert {i["institution_id"] for i in listed(url, "H002")} <= {"H002"}, url
    assert {i["enterprise_id"] for i in listed("/api/v1/contracts", "E02")} == {"E02"}
    assert {i["supplier_id"] for i in listed("/api/v1/orders", "E02")} <= {"E02"}
    assert {i["payee_id"] for i in listed("/api/v1/invoices", "E02")} <= {"E02"}
    assert listed("/api/v1/orders", "E01") != []
