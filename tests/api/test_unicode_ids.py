"""Ids in any script (SPEC §2: the bureau names rounds and groups; `ID_PATTERN` takes letters
of every script) travel in URLs and headers: a `Location` is percent-encoded UTF-8, an
export's file name is given as RFC 8187 `filename*` beside an ASCII fallback."""

import json
from datetime import timedelta
from urllib.parse import quote, unquote

from app.clock import FixedClock
from tests.api.conftest import (
    BIDDING_OPENS,
    DEMAND_CLOSES,
    DEMAND_OPENS,
    Api,
    group,
)
from tests.api.test_bids_support import product
from tests.api.test_exchange import EXAMPLE

ROUND = "云南-2027-第一批"
GROUP = "氨氯地平-口服"


def test_a_round_and_a_bid_with_chinese_ids_get_their_location(api: Api, clock: FixedClock) -> None:
    clock.set(DEMAND_OPENS + timedelta(hours=1))
    api.institution("H001")
    enterprise = api.enterprise("E01")
    r = api.client.post(
        "/api/v1/rounds",
        json={
            "id": ROUND,
            "name": "云南省 2027 年第一批",
            "agreement_start": "2027-01-01",
            "demand_opens_at": DEMAND_OPENS.isoformat(),
            "demand_closes_at": DEMAND_CLOSES.isoformat(),
            "bidding_opens_at": BIDDING_OPENS.isoformat(),
            "bidding_closes_at": (BIDDING_OPENS + timedelta(days=14)).isoformat(),
            "groups": [group(GROUP)],
        },
        headers=api.bureau,
    )
    assert r.status_code == 201, r.text
    location = r.headers["Location"]
    assert location == "/api/v1/rounds/" + quote(ROUND)
    assert location.isascii()
    assert api.client.get(unquote(location), headers=api.bureau).json()["id"] == ROUND

    assert api.move(ROUND, "demand_open").status_code == 200
    clock.set(DEMAND_CLOSES + timedelta(hours=1))
    assert api.move(ROUND, "demand_locked").status_code == 200
    clock.set(BIDDING_OPENS + timedelta(hours=1))
    assert api.move(ROUND, "bidding_open").status_code == 200

    body = {"group": GROUP, "product": product(), "pack_price": "9.80", "capacity": 1000}
    r = api.client.post(f"/api/v1/rounds/{ROUND}/bids", json=body, headers=enterprise)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/api/v1/rounds/{quote(ROUND)}/bids/{quote(GROUP)}"
    # the same connection goes on serving (a header that cannot be written used to end it)
    own = api.client.get(unquote(r.headers["Location"]), headers=enterprise)
    assert own.status_code == 200 and own.json()["group"] == GROUP


def test_an_imported_round_with_a_chinese_id_gets_its_location(api: Api) -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["round"]["id"] = ROUND
    r = api.client.post("/api/v1/rounds:import", json=document, headers=api.bureau)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/api/v1/rounds/" + quote(ROUND)


def test_an_export_of_a_chinese_round_names_its_file_in_both_forms() -> None:
    from app.common import content_disposition

    assert content_disposition("YN-2027-01-year1-contracts.csv") == (
        'attachment; filename="YN-2027-01-year1-contracts.csv"'
    )
    header = content_disposition(f"{ROUND}-year1-contracts.csv")
    assert header.isascii()
    plain, encoded = header.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename="__-2027-___-year1-contracts.csv"'
    assert unquote(encoded) == f"{ROUND}-year1-contracts.csv"
