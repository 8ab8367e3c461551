"""Service benchmarks on PostgreSQL, loopback only, bounded in time (figures printed, never asserted).

    python -m bench.service [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/vbp_bench]

1. bulk demand import: 50 institutions each upload 2,000 CSV lines (100,000 lines) — lines/s;
2. bid submission: 32 concurrent enterprise clients submit and re-submit sealed bids for a fixed
   number of requests — requests/s, p50/p99 latency;
3. /health while a provincial-scale award job runs (the generated provincial round imported via
   POST /rounds:import) — p50/p99 of /health, and the job's own time.

The database named by --database-url is dropped and created afresh; a `vbp serve` child runs on a
free 127.0.0.1 port and is stopped at the end.  Targets printed beside the figures: ≥ 20,000
lines/s; ≥ 300 requests/s with p99 ≤ 100 ms; /health p99 ≤ 50 ms.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
VBP = Path(sys.executable).with_name("vbp")
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vbp_bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _recreate_database(url: str) -> None:
    import psycopg

    base, _, name = url.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Server:
    def __init__(self, database_url: str) -> None:
        self.env = {**os.environ, "VBP_DATABASE_URL": database_url}
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def bureau_token(self) -> str:
        out = subprocess.run(
            [str(VBP), "tokens", "create", "--role", "bureau", "--name", "bench"],
            env=self.env, capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        return out.stdout.strip().splitlines()[-1]

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(
            [str(VBP), "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("vbp serve did not answer /health within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _check(r: httpx.Response, *ok: int) -> Any:
    if r.status_code not in (ok or (200, 201, 202)):
        raise RuntimeError(
            f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:400]}"
        )
    return r.json() if r.content else None


def _group(i: int) -> dict[str, Any]:
    return {
        "id": f"G{i:05d}",
        "generic_names": [f"generic-{i:05d}"],
        "form_family": "oral_regular",
        "representative": {"strength": "10", "strength_unit": "mg", "dosage_form": "tablet"},
        "ceiling": "1.0000",
        "pre_vbp_unit_price": "2.0000",
    }


def bench_bulk_and_bids(base: str, bureau: str, *, groups: int, institutions: int, clients: int,
                        requests_per_client: int) -> dict[str, Any]:  # fmt: skip
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bureau}"}, timeout=120)
    now = datetime.now(UTC)
    round_id = f"BENCH-{int(time.time())}"
    _check(api.post("/api/v1/rounds", json={
        "id": round_id, "name": "service benchmark", "agreement_start": "2027-01-01",
        "groups": [_group(i) for i in range(groups)],
        "demand_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "demand_closes_at": (now + timedelta(hours=2)).isoformat(),
    }))  # fmt: skip
    _check(api.post(f"/api/v1/rounds/{round_id}/transitions", json={"to": "demand_open"}))

    tokens: list[str] = []
    for i in range(institutions):
        iid = f"{round_id}-H{i:04d}"
        _check(
            api.post("/api/v1/institutions", json={"id": iid, "name": iid, "region": f"R{i % 16}"})
        )
        tokens.append(
            _check(api.post(f"/api/v1/institutions/{iid}/tokens", json={"name": "bench"}))["token"]
        )
    csv_body = "group,reported,last_year_usage\n" + "".join(
        f"G{g:05d},{1000 + g},{1000 + g}\n" for g in range(groups)
    )
    started = time.perf_counter()
    for token in tokens:
        _check(api.post(
            f"/api/v1/rounds/{round_id}/demands:bulk", content=csv_body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        ))  # fmt: skip
    bulk_seconds = time.perf_counter() - started
    lines = groups * institutions

    # Close demand now, lock, open bidding for the benchmark.
    now = datetime.now(UTC)
    _check(api.patch(f"/api/v1/rounds/{round_id}", json={"demand_closes_at": now.isoformat(),
        "bidding_opens_at": now.isoformat(),
        "bidding_closes_at": (now + timedelta(hours=2)).isoformat()}))  # fmt: skip
    _check(api.post(f"/api/v1/rounds/{round_id}/transitions", json={"to": "demand_locked"}))
    _check(api.post(f"/api/v1/rounds/{round_id}/transitions", json={"to": "bidding_open"}))

    enterprise_tokens = []
    for c in range(clients):
        eid = f"{round_id}-E{c:03d}"
        _check(api.post("/api/v1/enterprises", json={"id": eid, "name": eid}))
        enterprise_tokens.append(
            _check(api.post(f"/api/v1/enterprises/{eid}/tokens", json={"name": "bench"}))["token"]
        )
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        http = httpx.Client(base_url=base, timeout=30,
                            headers={"Authorization": f"Bearer {enterprise_tokens[c]}"})  # fmt: skip
        mine: list[float] = []
        for k in range(requests_per_client):
            body = {
                "group": f"G{(c * 7 + k) % groups:05d}",
                "product": {"strength": "10", "strength_unit": "mg", "units_per_pack": 28,
                            "dosage_form": "tablet", "quality": "gqce"},
                "pack_price": f"{10 + (k % 50) / 100:.2f}", "capacity": 1_000_000,
            }  # fmt: skip
            t = time.perf_counter()
            r = http.post(f"/api/v1/rounds/{round_id}/bids", json=body)
            mine.append(time.perf_counter() - t)
            if r.status_code not in (200, 201):
                with lock:
                    errors.append(f"{r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bid_seconds = time.perf_counter() - started
    return {
        "bulk_lines": lines,
        "bulk_seconds": bulk_seconds,
        "bids": len(latencies),
        "bid_errors": errors[:3],
        "bid_seconds": bid_seconds,
        "bid_p50_ms": _pct(latencies, 0.50) * 1000,
        "bid_p99_ms": _pct(latencies, 0.99) * 1000,
    }


def bench_health_during_award(base: str, bureau: str, document: Path) -> dict[str, Any]:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bureau}"}, timeout=300)
    doc = json.loads(document.read_text())
    doc["round"]["id"] = f"PROV-{int(time.time())}"
    imported = _check(api.post("/api/v1/rounds:import", json=doc))
    round_id = imported.get("id", doc["round"]["id"])
    job = _check(api.post(f"/api/v1/rounds/{round_id}/award"), 202)
    health = httpx.Client(base_url=base, timeout=10)
    latencies: list[float] = []
    started = time.perf_counter()
    status = job["status"]
    polls = 0
    while status not in ("succeeded", "failed") and time.perf_counter() - started < 600:
        for _ in range(20):
            t = time.perf_counter()
            health.get("/health")
            latencies.append(time.perf_counter() - t)
            time.sleep(0.005)
        polls += 1
        status = _check(api.get(f"/api/v1/jobs/{job['id']}"))["status"]
    return {
        "award_status": status,
        "award_seconds": time.perf_counter() - started,
        "health_requests": len(latencies),
        "health_p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "health_p99_ms": _pct(latencies, 0.99) * 1000 if latencies else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--institutions", type=int, default=50)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=60)
    parser.add_argument("--skip-award", action="store_true")
    args = parser.parse_args(argv)

    _recreate_database(args.database_url)
    server = Server(args.database_url)
    subprocess.run([str(VBP), "migrate"], env=server.env, cwd=ROOT, check=True)
    bureau = server.bureau_token()
    with server:
        figures = bench_bulk_and_bids(
            server.base, bureau, groups=args.groups, institutions=args.institutions,
            clients=args.clients, requests_per_client=args.requests_per_client,
        )  # fmt: skip
        if not args.skip_award:
            from bench.run import ensure_document

            figures |= bench_health_during_award(
                server.base, bureau, ensure_document("provincial", 1, regenerate=False)
            )
    lines_per_s = figures["bulk_lines"] / figures["bulk_seconds"]
    rps = figures["bids"] / figures["bid_seconds"]
    print(f"{'benchmark':<34}{'figure':>22}  target")
    print(f"{'bulk demand import':<34}{lines_per_s:>16,.0f} l/s   ≥ 20,000 lines/s "
          f"({figures['bulk_lines']:,} lines in {figures['bulk_seconds']:.2f} s)")  # fmt: skip
    print(f"{'bid submission, 32 clients':<34}{rps:>16,.0f} r/s   ≥ 300 requests/s "
          f"({figures['bids']:,} requests in {figures['bid_seconds']:.2f} s)")  # fmt: skip
    print(f"{'bid submission p50 / p99':<34}{figures['bid_p50_ms']:>9.1f} / {figures['bid_p99_ms']:.1f} ms"
          f"   p99 ≤ 100 ms")  # fmt: skip
    if figures["bid_errors"]:
        print(f"  bid errors (first 3): {figures['bid_errors']}")
    if "health_p99_ms" in figures:
        print(f"{'/health during award p50 / p99':<34}{figures['health_p50_ms']:>9.1f} / "
              f"{figures['health_p99_ms']:.1f} ms   p99 ≤ 50 ms "
              f"({figures['health_requests']} requests; award {figures['award_status']} "
              f"in {figures['award_seconds']:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
