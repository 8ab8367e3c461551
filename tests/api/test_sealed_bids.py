# ruff: noqa: F811 -- the fixtures imported from test_bids_support are parameters here
"""Sealed means sealed (SPEC §5): before the bids are opened, no read path shows a bid's
price, its unit comparable price, its nonce or its commitment to anyone but the enterprise that
submitted it.

Enterprise E01 bids with distinctive prices; then EVERY GET route of the OpenAPI document
(read from the app, so a new route is walked without touching this file) is called as every
other actor — the bureau, institutions, the other enterprises, nobody — with every path
parameter filled from the seeded world, and with the query parameters that select bids. The
sealed strings must appear in no body and no header. Error paths (a bad price, a late bid,
another enterprise reusing an Idempotency-Key) are checked the same way. A positive control
shows that the same walk does find the prices once the bids are opened.
"""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import BIDDING_CLOSES, bearer
from tests.api.test_bids_support import (  # noqa: F401 (fixtures)
    ROUND,
    World,
    api,
    app,
    client,
    world,
)

BIDS = f"/api/v1/rounds/{ROUND}/bids"
# E01's two versions in AML-ORAL and its bid in MET-SR: prices no other number here shares
PRICES = ("7.3917", "7.4129", "8.2641")
# one actor of each kind, and both an owner (H001, E02) and a stranger to the actor ids in paths
OTHERS = ("bureau", "H001", "H002", "E02", "nobody")
PATH_VALUES: dict[str, tuple[str, ...]] = {
    "round_id": (ROUND,),
    "group_id": ("AML-ORAL", "MET-SR"),
    "institution_id": ("H001",),
    "enterprise_id": ("E01", "E02"),
    "token_id": ("1",),
    "job_id": ("1",),
}
READERS_OF_BIDS = ("/bids", "/document", "/audit", "/outcome", "/jobs")
QUERY_VARIANTS: dict[str, list[dict[str, str]]] = {
    BIDS: [{"group_id": "AML-ORAL"}, {"group_id": "MET-SR"}, {"all_versions": "true"}],
    "/api/v1/audit": [{"entity_type": "bid"}, {"round_id": ROUND}],
    f"/api/v1/rounds/{ROUND}/document": [{"format": "yaml"}],
}


def _headers(w: World, who: str) -> dict[str, str]:
    if who == "nobody":
        return {}
    return w.api.bureau if who == "bureau" else w.api.actor(who)


def _urls(app: Any, only: tuple[str, ...] = ()) -> list[str]:
    urls = []
    for path, ops in app.openapi()["paths"].items():
        if "get" not in ops or (only and not any(part in path for part in only)):
            continue
        names = re.findall(r"{(\w+)}", path)
        filled = [path]
        for name in names:
            filled = [
                u.replace("{" + name + "}", value)
                for u in filled
                for value in PATH_VALUES.get(name, ("1",))
            ]
        urls += filled
    return urls


@pytest.fixture
def sealed(world: World) -> dict[str, Any]:
    """E01's bids (two versions in AML-ORAL, one in MET-SR) and what must stay sealed."""
    e01 = world.api.actor("E01")
    first = world.bid("E01", PRICES[0], strength="5", units=20).json()
    r = world.client.put(
        f"{BIDS}/AML-ORAL",
        json={
            "product": {
                "strength": "5",
                "strength_unit": "mg",
                "units_per_pack": 20,
                "dosage_form": "tablet",
                "quality": "gqce",
            },
            "pack_price": PRICES[1],
            "capacity": 4_000_000,
        },
        headers={**e01, "If-Match": '"v1"'},
    )
    assert r.status_code == 200, r.text
    second = r.json()
    third = world.bid("E01", PRICES[2], "MET-SR").json()
    world.bid("E02", "3.36", strength="5")  # a bid the others may know about
    secrets = set(PRICES)
    for receipt in (first, second, third):
        secrets |= {receipt["nonce"], receipt["commitment"], receipt["unit_comparable_price"]}
    return {"secrets": secrets, "receipts": (first, second, third)}


def _leaks(response: Any, secrets: set[str]) -> list[str]:
    text = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return sorted(s for s in secrets if s in text)


def _walk(
    w: World,
    app: Any,
    secrets: set[str],
    viewers: tuple[str, ...] = OTHERS,
    only: tuple[str, ...] = (),
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for who in viewers:
        headers = _headers(w, who)
        for url in _urls(app, only):
            for params in [{}, *QUERY_VARIANTS.get(url, [])]:
                r = w.client.get(url, params=params, headers=headers)
                assert r.status_code < 500, (who, url, r.text)
                leaks = _leaks(r, secrets)
                if leaks:
                    found[f"{who} GET {url} {params}"] = leaks
    return found


def test_no_get_route_shows_a_sealed_bid_to_anyone_else(
    world: World, app: Any, sealed: dict[str, Any]
) -> None:
    assert _walk(world, app, sealed["secrets"]) == {}


def test_nothing_leaks_after_the_deadline_before_opening(
    world: World, app: Any, sealed: dict[str, Any]
) -> None:
    """Sealing depends on the round's state, not on the clock: after the deadline the routes
    that read bids, documents, the trail and outcomes still show nothing."""
    world.clock.set(BIDDING_CLOSES)
    assert _walk(world, app, sealed["secrets"], only=READERS_OF_BIDS) == {}


def test_the_walk_finds_the_prices_once_the_bids_are_opened(
    world: World, app: Any, sealed: dict[str, Any]
) -> None:
    """The positive control: the same walk sees the (final) prices after opening."""
    world.open_bids()
    found = _walk(world, app, sealed["secrets"], ("bureau", "H001"), only=READERS_OF_BIDS)
    seen = {s for leaks in found.values() for s in leaks}
    assert set(PRICES) <= seen  # the replaced version too, through all_versions
    assert any(k.startswith("bureau GET " + BIDS) for k in found)


def test_error_bodies_never_repeat_a_price(world: World, sealed: dict[str, Any]) -> None:
    e01 = world.api.actor("E01")
    bad = world.client.post(
        BIDS,
        json={
            "group": "AML-ORAL",
            "product": {"strength": "5"},
            "pack_price": "-7.3917x",
            "capacity": 0,
        },
        headers=e01,
    )
    assert bad.status_code == 422
    assert "7.3917" not in bad.text
    unknown_group = world.bid("E01", PRICES[0], "NOPE")
    assert unknown_group.status_code == 422 and PRICES[0] not in unknown_group.text
    world.clock.set(BIDDING_CLOSES)
    late = world.bid("E01", PRICES[0], strength="5", units=20)
    assert late.status_code == 409 and PRICES[0] not in late.text


def test_another_enterprise_reusing_an_idempotency_key_gets_no_replay(
    world: World, sealed: dict[str, Any]
) -> None:
    headers = {**world.api.actor("E01"), "Idempotency-Key": "shared-key"}
    body = {
        "group": "AML-ORAL",
        "product": {
            "strength": "5",
            "strength_unit": "mg",
            "units_per_pack": 20,
            "dosage_form": "tablet",
            "quality": "gqce",
        },
        "pack_price": "7.5551",
        "capacity": 1000,
    }
    assert world.client.post(BIDS, json=body, headers=headers).status_code == 201
    other = world.client.post(
        BIDS, json=body, headers={**world.api.actor("E02"), "Idempotency-Key": "shared-key"}
    )
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["enterprise"] == "E02"
    mine = world.client.get(BIDS, headers=world.api.actor("E02")).json()["items"]
    assert all(b["enterprise"] == "E02" for b in mine)


def test_a_bureau_token_sees_no_price_in_the_job_or_outcome_routes_before_opening(
    world: World, sealed: dict[str, Any]
) -> None:
    client: TestClient = world.client
    r = client.post(f"/api/v1/rounds/{ROUND}/award", json={}, headers=world.api.bureau)
    assert r.status_code == 409 and not _leaks(r, sealed["secrets"])
    r = client.get("/api/v1/jobs/1", headers=bearer(world.api.bureau_token))
    assert r.status_code == 404
