#!/usr/bin/env python3
"""A whole procurement round over HTTP, against a running vbp service.

    vbp tokens create --role bureau --name walkthrough      # prints a bureau token
    vbp serve &
    VBP_URL=http://127.0.0.1:8000 VBP_TOKEN=vbp_… python examples/walkthrough.py

or `python examples/walkthrough.py --url … --token …`. Only the standard library is used.

The bureau registers three institutions and four enterprises and gives each a token, defines
a round with two groups, opens demand; institutions report (one line, a JSON bulk upload, a
CSV bulk upload); the bureau reviews a report below the floor and locks demand; bidding
opens, enterprises bid (one amends, one is refused for its credit rating), the bureau sees
the sealed list; bidding closes (a late bid is refused), the bids are opened and an
enterprise checks its commitment; the award runs as a job that is polled; the results are
published and each actor's view is printed.

A real server runs on the real clock, so instead of waiting for windows to pass the bureau
moves them (PATCH …/rounds/{id}): the demand window closes "now", the bidding window opens
when demand closed and closes "now" once the bids are in. Ids carry a tag (default: the
time) so the walkthrough can run again against the same database.
"""

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

Printer = Callable[[str], None]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class WalkthroughError(RuntimeError):
    pass


class Http:
    """A tiny JSON client over urllib."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201, 202),
    ) -> Reply:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        data = content
        if json_body is not None:
            data = json.dumps(json_body).encode()
            content_type = "application/json"
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                reply = Reply(
                    response.status, dict(response.headers.items()), response.read().decode()
                )
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, dict(error.headers.items()), error.read().decode())
        if reply.status not in expect:
            raise WalkthroughError(f"{method} {path} answered {reply.status}: {reply.text}")
        return reply


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def group(
    group_id: str, generic: str, family: str, strength: str, form: str, ceiling: str, pre: str
) -> dict[str, Any]:
    return {
        "id": group_id,
        "generic_names": [generic],
        "form_family": family,
        "representative": {"strength": strength, "strength_unit": "mg", "dosage_form": form},
        "ceiling": ceiling,
        "pre_vbp_unit_price": pre,
    }


def bid(
    group_id: str, strength: str, units: int, form: str, price: str, capacity: int
) -> dict[str, Any]:
    return {
        "group": group_id,
        "product": {
            "strength": strength,
            "strength_unit": "mg",
            "units_per_pack": units,
            "dosage_form": form,
            "quality": "gqce",
        },
        "pack_price": price,
        "capacity": capacity,
        "accept_revival": False,
    }


def run(
    base_url: str,
    bureau_token: str,
    *,
    tag: str,
    out: Printer = print,
    poll_interval: float = 0.2,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Drive the round; returns the bureau's outcome and every actor's view."""
    http = Http(base_url)
    bureau = bureau_token
    rid = f"WALK-{tag}"
    hospitals = {f"H1-{tag}": "KM", f"H2-{tag}": "KM", f"H3-{tag}": "QJ"}
    enterprises = {f"E1-{tag}": None, f"E2-{tag}": None, f"E3-{tag}": None, f"E4-{tag}": "serious"}
    h1, h2, h3 = hospitals
    e1, e2, e3, e4 = enterprises
    tokens: dict[str, str] = {}

    out("== 1. the bureau registers institutions and enterprises, and issues their tokens")
    for hid, region in hospitals.items():
        http.call(
            "POST",
            "/api/v1/institutions",
            bureau,
            json_body={"id": hid, "name": f"Hospital {hid}", "region": region},
        )
        tokens[hid] = http.call(
            "POST", f"/api/v1/institutions/{hid}/tokens", bureau, json_body={"name": "walkthrough"}
        ).json()["token"]
    for eid, credit in enterprises.items():
        http.call(
            "POST",
            "/api/v1/enterprises",
            bureau,
            json_body={"id": eid, "name": f"Pharma {eid}", "credit_level": credit},
        )
        tokens[eid] = http.call(
            "POST", f"/api/v1/enterprises/{eid}/tokens", bureau, json_body={"name": "walkthrough"}
        ).json()["token"]
    out(
        f"   institutions {', '.join(hospitals)}; enterprises {', '.join(enterprises)} ({e4} rated serious)"
    )

    out("== 2. a round with two groups; demand opens")
    start = datetime.now(UTC)
    created = http.call(
        "POST",
        "/api/v1/rounds",
        bureau,
        json_body={
            "id": rid,
            "name": f"Walkthrough round {tag}",
            "agreement_start": "2027-01-01",
            "rules": {"profile": "batch7", "overrides": {}},
            "demand_opens_at": _at(start - timedelta(hours=1)),
            "demand_closes_at": _at(start + timedelta(hours=1)),
            "bidding_opens_at": _at(start + timedelta(hours=1)),
            "bidding_closes_at": _at(start + timedelta(hours=2)),
            "groups": [
                group("AML-ORAL", "amlodipine", "oral_regular", "5", "tablet", "0.5000", "0.9000"),
                group(
                    "MET-SR",
                    "metformin",
                    "oral_sustained",
                    "500",
                    "sustained_release_tablet",
                    "0.6000",
                    "1.2000",
                ),
            ],
        },
    )
    etag = created.headers["etag"]

    def move(to: str) -> None:
        nonlocal etag
        reply = http.call(
            "POST",
            f"/api/v1/rounds/{rid}/transitions",
            bureau,
            json_body={"to": to},
            headers={"If-Match": etag},
        )
        etag = reply.headers["etag"]
        out(f"   round {rid} is now {reply.json()['state']}")

    def patch(**fields: str) -> None:
        nonlocal etag
        etag = http.call(
            "PATCH", f"/api/v1/rounds/{rid}", bureau, json_body=fields, headers={"If-Match": etag}
        ).headers["etag"]

    move("demand_open")

    out("== 3. institutions report demand: one line, a JSON upload, a CSV upload")
    http.call(
        "PUT",
        f"/api/v1/rounds/{rid}/demands/AML-ORAL",
        tokens[h1],
        json_body={"reported": 120000, "last_year_usage": 130000, "preferred_enterprise": e1},
    )
    http.call(
        "PUT",
        f"/api/v1/rounds/{rid}/demands/MET-SR",
        tokens[h1],
        json_body={"reported": 60000, "last_year_usage": 50000},
    )
    bulk = http.call(
        "POST",
        f"/api/v1/rounds/{rid}/demands:bulk",
        tokens[h2],
        json_body=[{"group": "AML-ORAL", "reported": 50000, "last_year_usage": 80000}],
    ).json()
    out(f"   {h2} uploaded {bulk['lines']} line(s), {bulk['flagged']} below the floor")
    csv = "group,reported,last_year_usage\nAML-ORAL,30000,30000\nMET-SR,20000,20000\n"
    http.call(
        "POST",
        f"/api/v1/rounds/{rid}/demands:bulk",
        tokens[h3],
        content=csv.encode(),
        content_type="text/csv",
    )

    out("== 4. the bureau reviews the report below the floor, then locks demand")
    queue = http.call(
        "GET", f"/api/v1/rounds/{rid}/demands?flagged=true&review_status=pending", bureau
    ).json()["items"]
    for report in queue:
        path = f"/api/v1/rounds/{rid}/institutions/{report['institution_id']}/demands/{report['group_id']}"
        current = http.call("GET", path, bureau)
        reviewed = http.call(
            "POST",
            f"{path}/review",
            bureau,
            json_body={"decision": "accept", "reason": "a ward closed for renovation in 2027"},
            headers={"If-Match": current.headers["etag"]},
        ).json()
        out(
            f"   {reviewed['institution_id']} {reviewed['group_id']}: {reviewed['reported']} reported against {reviewed['last_year_usage']} used, {reviewed['review_status']}"
        )
    demand_closed = datetime.now(UTC)
    patch(demand_closes_at=_at(demand_closed), bidding_opens_at=_at(demand_closed))
    move("demand_locked")

    out("== 5. bidding opens; enterprises submit sealed bids")
    move("bidding_open")
    receipts: dict[str, dict[str, Any]] = {}
    for eid, body in (
        (e1, bid("AML-ORAL", "10", 28, "tablet", "9.80", 5_000_000)),
        (e2, bid("AML-ORAL", "5", 28, "tablet", "3.36", 3_000_000)),
        (e3, bid("AML-ORAL", "5", 14, "tablet", "1.75", 2_000_000)),
        (e2, bid("MET-SR", "500", 30, "sustained_release_tablet", "4.50", 1_000_000)),
    ):
        receipt = http.call(
            "POST", f"/api/v1/rounds/{rid}/bids", tokens[eid], json_body=body
        ).json()
        receipts[f"{eid}/{receipt['group']}"] = receipt
        out(
            f"   {eid} {receipt['group']} v{receipt['version']}: commitment {receipt['commitment'][:16]}…"
        )
    amended = {
        k: v
        for k, v in bid("AML-ORAL", "10", 28, "tablet", "9.52", 5_000_000).items()
        if k != "group"
    }
    own = http.call("GET", f"/api/v1/rounds/{rid}/bids/AML-ORAL", tokens[e1])
    receipt = http.call(
        "PUT",
        f"/api/v1/rounds/{rid}/bids/AML-ORAL",
        tokens[e1],
        json_body=amended,
        headers={"If-Match": own.headers["etag"]},
    ).json()
    receipts[f"{e1}/AML-ORAL"] = receipt
    out(
        f"   {e1} amended AML-ORAL: v{receipt['version']}, a new commitment {receipt['commitment'][:16]}…"
    )
    refused = http.call(
        "POST",
        f"/api/v1/rounds/{rid}/bids",
        tokens[e4],
        json_body=bid("AML-ORAL", "5", 28, "tablet", "2.00", 1_000_000),
        expect=(409,),
    ).json()
    out(f"   {e4} refused: {refused['detail']}")
    sealed = http.call("GET", f"/api/v1/rounds/{rid}/bids", bureau).json()["items"]
    out(
        "   the bureau's list before opening (sealed): "
        + ", ".join(f"{b['enterprise']}→{b['group']} price={b['pack_price']}" for b in sealed)
    )

    out("== 6. bidding closes; a late bid is refused; the bids are opened")
    patch(bidding_closes_at=_at(datetime.now(UTC)))
    late = http.call(
        "POST",
        f"/api/v1/rounds/{rid}/bids",
        tokens[e3],
        json_body=bid("AML-ORAL", "5", 14, "tablet", "1.70", 2_000_000),
        expect=(409,),
    ).json()
    out(f"   late bid of {e3}: {late['status']} {late['detail']}")
    move("bids_opened")
    opened = http.call("GET", f"/api/v1/rounds/{rid}/bids", tokens[e1]).json()["items"]
    for b in opened:
        out(
            f"   {b['enterprise']} {b['group']}: pack {b['pack_price']}, UCP {b['unit_comparable_price']}, commitment {b['commitment'][:16]}…"
        )
    mine = next(b for b in opened if b["enterprise"] == e1)
    recomputed = hashlib.sha256(mine["canonical"].encode()).hexdigest()
    kept = receipts[f"{e1}/AML-ORAL"]
    verified = (
        recomputed == kept["commitment"] == mine["commitment"] and mine["nonce"] == kept["nonce"]
    )
    if not verified:
        raise WalkthroughError(f"{e1}'s opened bid does not match its receipt")
    out(f"   {e1} recomputed sha256 of its opened bid: it matches the receipt")

    out("== 7. the award runs as a job")
    accepted = http.call(
        "POST", f"/api/v1/rounds/{rid}/award", bureau, json_body={"solver": "cbc"}, expect=(202,)
    )
    location = accepted.headers["location"]
    deadline = time.monotonic() + timeout
    while True:
        job = http.call("GET", location, bureau).json()
        if job["status"] in ("succeeded", "failed"):
            break
        if time.monotonic() > deadline:
            raise WalkthroughError(f"the award job did not finish within {timeout} s: {job}")
        time.sleep(poll_interval)
    if job["status"] != "succeeded":
        raise WalkthroughError(f"the award failed: {job['error']}")
    out(f"   job {job['id']} {job['status']} ({job['progress']['stage']})")
    etag = http.call("GET", f"/api/v1/rounds/{rid}", bureau).headers["etag"]

    out("== 8. the results are published; each actor's view")
    move("published")
    outcome = http.call("GET", f"/api/v1/rounds/{rid}/outcome", bureau).json()
    for g in outcome["groups"]:
        winners = ", ".join(f"{w['enterprise']}@{w['price']}" for w in g["winners"]) or "none"
        out(f"   {g['id']}: {g['status']}, winners {winners}, agreed {g['agreed_volume']:,}")
    s = outcome["summary"]
    out(
        f"   contract amount {s['contract_amount']} yuan, savings {s['savings']}, prepayment {s['prepayment_total']}"
    )
    views: dict[str, Any] = {}
    for actor in (*hospitals, e1, e2, e3):
        view = http.call("GET", f"/api/v1/rounds/{rid}/outcome", tokens[actor]).json()
        views[actor] = view
        if "institution" in view:
            contract = view["contract"] or {}
            supplies = ", ".join(
                f"{a['group']} {a['volume']:,} from {a['enterprise']} ({a['role']})"
                for a in view["allocations"]
            )
            out(
                f"   {actor}: {supplies or 'nothing allocated'}; contract {contract.get('annual_contract_amount')}, prepayment {contract.get('prepayment')}"
            )
        else:
            fates = ", ".join(
                f"{b['group']} {'won at ' + b['price'] if b['won'] else 'lost (' + str(b['reason']) + ')'}"
                for b in view["bids"]
            )
            volume = sum(a["volume"] for a in view["allocations"])
            out(f"   {actor}: {fates}; supplies {volume:,} units")
    return {"round_id": rid, "job": job, "outcome": outcome, "views": views, "receipts": receipts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("VBP_URL", "http://127.0.0.1:8000"))
    parser.add_argument(
        "--token", default=os.environ.get("VBP_TOKEN"), help="a bureau token (VBP_TOKEN)"
    )
    parser.add_argument(
        "--tag", default=datetime.now(UTC).strftime("%Y%m%d%H%M%S"), help="suffix of the ids"
    )
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(
            "give a bureau token with --token or VBP_TOKEN (vbp tokens create --role bureau --name …)"
        )
    try:
        run(args.url, args.token, tag=args.tag)
    except (WalkthroughError, urllib.error.URLError) as exc:
        print(f"walkthrough: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
