"""Service benchmarks on PostgreSQL, loopback only, bounded in time (figures printed, never asserted).

    python -m bench.service [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/vbp_bench]

1. bulk demand import: 50 institutions each upload 2,000 CSV lines (100,000 lines) — lines/s;
2. bid submission: 32 concurrent enterprise clients submit and re-submit sealed bids for a fixed
   number of requests — requests/s, p50/p99 latency. The load comes from one asyncio thread of
   this process, a keep-alive connection per client (`--load-client httpx-threads`: a thread
   with an httpx client per client, as the first version of this benchmark did);
3. /health while a provincial-scale award job runs (the generated provincial round imported via
   POST /rounds:import) — p50/p99 of /health, and the job's own time.

The database named by --database-url is dropped and created afresh; a `vbp serve` child runs on a
free 127.0.0.1 port (`--workers N` processes, default one per CPU) and is stopped at the end.
Beside the figures: the CPU seconds the service (with its award worker) and this client used in
each phase, and the load average when the phase started: on a small shared machine, compare
figures taken under similar load only. Targets printed beside the figures: ≥ 20,000 lines/s;
≥ 300 requests/s with p99 ≤ 100 ms; /health p99 ≤ 50 ms.
"""

import argparse
import asyncio
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


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree_cpu_seconds(pid: int) -> float:
    """CPU (user + system) used so far by `pid` and its live descendants (the award worker),
    from /proc; 0.0 where there is no /proc."""
    stats: dict[int, tuple[int, float]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return 0.0
    for entry in entries:
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    total, wanted = 0.0, {pid}
    while wanted:
        total += sum(stats[p][1] for p in wanted if p in stats)
        wanted = {p for p, (ppid, _) in stats.items() if ppid in wanted}
    return total


class Meter:
    """Wall time, the server's CPU, this client's CPU and the load average over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> "Meter":
        self.load = os.getloadavg()[0]
        self.server0 = _tree_cpu_seconds(self.server_pid)
        self.client0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.wall0
        self.server_cpu = _tree_cpu_seconds(self.server_pid) - self.server0
        self.client_cpu = time.process_time() - self.client0

    def figures(self, name: str) -> dict[str, float]:
        return {
            f"{name}_seconds": self.seconds,
            f"{name}_server_cpu": self.server_cpu,
            f"{name}_client_cpu": self.client_cpu,
            f"{name}_load": self.load,
        }


class Server:
    def __init__(self, database_url: str, workers: int = 1) -> None:
        self.env = {**os.environ, "VBP_DATABASE_URL": database_url}
        self.workers = workers
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
            [str(VBP), "serve", "--port", str(self.port), "--workers", str(self.workers)],
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


def _raw_post(host: str, path: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _closed_loop(host: str, requests: list[list[bytes]]) -> tuple[list[float], list[str]]:
    """One keep-alive HTTP/1.1 connection per client, each sending its requests one after the
    other (a closed loop: the next request leaves when the response has arrived), all clients
    at once, in one thread of this process. The latency of a request is from writing it to
    having read its whole response. A plain asyncio client costs a fraction of the CPU that 32
    threads of httpx cost, so on a small machine the figures measure the service, not the
    load generator (whose CPU is printed beside them)."""
    name, _, port = host.partition(":")
    latencies: list[float] = []
    errors: list[str] = []

    async def client(mine: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(name, int(port))
        try:
            for raw in mine:
                t = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - t)
                status = int(head[9:12])
                if status not in (200, 201):
                    errors.append(f"{status} {body[:200].decode(errors='replace')}")
        finally:
            writer.close()

    await asyncio.gather(*(client(mine) for mine in requests))
    return latencies, errors


def _httpx_threads(base: str, requests: list[list[bytes]]) -> tuple[list[float], list[str]]:
    """The same closed loop with one thread and one httpx client per client (the benchmark's
    first load generator, kept to compare with older figures: on two cores its 32 threads take
    a large share of the CPU from the service)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(mine: list[bytes]) -> None:
        http = httpx.Client(base_url=base, timeout=30)
        own: list[float] = []
        for raw in mine:
            head, _, body = raw.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if not line.startswith("Host"))
            t = time.perf_counter()
            r = http.post(lines[0].split(" ")[1], content=body, headers=headers)
            own.append(time.perf_counter() - t)
            if r.status_code not in (200, 201):
                with lock:
                    errors.append(f"{r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def bench_bulk_and_bids(base: str, bureau: str, server_pid: int, *, groups: int,
                        institutions: int, clients: int, requests_per_client: int,
                        load_client: str = "asyncio", bulk_clients: int = 1) -> dict[str, Any]:  # fmt: skip
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
    def upload(token: str) -> None:
        _check(api.post(
            f"/api/v1/rounds/{round_id}/demands:bulk", content=csv_body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        ))  # fmt: skip

    with Meter(server_pid) as bulk_meter:
        if bulk_clients == 1:
            for token in tokens:
                upload(token)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(bulk_clients) as pool:
                list(pool.map(upload, tokens))
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
    # Every request is built before the clock starts, so the load generator spends its CPU on
    # sending and receiving only (see _closed_loop).
    path = f"/api/v1/rounds/{round_id}/bids"
    host = base.removeprefix("http://")
    requests: list[list[bytes]] = []
    for c in range(clients):
        mine = []
        for k in range(requests_per_client):
            body = {
                "group": f"G{(c * 7 + k) % groups:05d}",
                "product": {"strength": "10", "strength_unit": "mg", "units_per_pack": 28,
                            "dosage_form": "tablet", "quality": "gqce"},
                "pack_price": f"{10 + (k % 50) / 100:.2f}", "capacity": 1_000_000,
            }  # fmt: skip
            mine.append(_raw_post(host, path, enterprise_tokens[c], json.dumps(body).encode()))
        requests.append(mine)
    with Meter(server_pid) as bid_meter:
        if load_client == "asyncio":
            latencies, errors = asyncio.run(_closed_loop(host, requests))
        else:
            latencies, errors = _httpx_threads(base, requests)
    return {
        "bulk_lines": lines,
        **bulk_meter.figures("bulk"),
        "bids": len(latencies),
        "bid_errors": errors[:3],
        **bid_meter.figures("bid"),
        "bid_p50_ms": _pct(latencies, 0.50) * 1000,
        "bid_p99_ms": _pct(latencies, 0.99) * 1000,
    }


def bench_health_during_award(
    base: str, bureau: str, server_pid: int, document: Path
) -> dict[str, Any]:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bureau}"}, timeout=300)
    doc = json.loads(document.read_text())
    doc["round"]["id"] = f"PROV-{int(time.time())}"
    imported = _check(api.post("/api/v1/rounds:import", json=doc))
    round_id = imported.get("id", doc["round"]["id"])
    job = _check(api.post(f"/api/v1/rounds/{round_id}/award"), 202)
    health = httpx.Client(base_url=base, timeout=10)
    latencies: list[float] = []
    status = job["status"]
    with Meter(server_pid) as meter:
        while status not in ("succeeded", "failed") and time.perf_counter() - meter.wall0 < 600:
            for _ in range(20):
                t = time.perf_counter()
                health.get("/health")
                latencies.append(time.perf_counter() - t)
                time.sleep(0.005)
            status = _check(api.get(f"/api/v1/jobs/{job['id']}"))["status"]
    return {
        "award_status": status,
        **meter.figures("award"),
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
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="vbp serve worker processes (default: one per CPU)",
    )  # fmt: skip
    parser.add_argument(
        "--load-client", choices=["asyncio", "httpx-threads"], default="asyncio",
        help="bid load generator: one asyncio thread (default), or a thread with httpx per client",
    )  # fmt: skip
    args = parser.parse_args(argv)

    _recreate_database(args.database_url)
    server = Server(args.database_url, workers=args.workers)
    subprocess.run([str(VBP), "migrate"], env=server.env, cwd=ROOT, check=True)
    bureau = server.bureau_token()
    with server:
        assert server.proc is not None
        pid = server.proc.pid
        figures = bench_bulk_and_bids(
            server.base, bureau, pid, groups=args.groups, institutions=args.institutions,
            clients=args.clients, requests_per_client=args.requests_per_client,
            load_client=args.load_client,
        )  # fmt: skip
        if not args.skip_award:
            from bench.run import ensure_document

            figures |= bench_health_during_award(
                server.base, bureau, pid, ensure_document("provincial", 1, regenerate=False)
            )
    lines_per_s = figures["bulk_lines"] / figures["bulk_seconds"]
    rps = figures["bids"] / figures["bid_seconds"]
    print(f"{'benchmark':<34}{'figure':>22}  target")
    print(f"{'bulk demand import':<34}{lines_per_s:>16,.0f} l/s   ≥ 20,000 lines/s "
          f"({figures['bulk_lines']:,} lines in {figures['bulk_seconds']:.2f} s)")  # fmt: skip
    print(f"{f'bid submission, {args.clients} clients':<34}{rps:>16,.0f} r/s   ≥ 300 requests/s "
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
    print(f"\nCPU seconds per phase (server = vbp serve and its award worker; client = this "
          f"process; load = 1-min load average at the start), {os.cpu_count()} CPUs, "
          f"vbp serve --workers {args.workers}, bid load from {args.load_client}:")  # fmt: skip
    for name in ("bulk", "bid", "award"):
        if f"{name}_seconds" in figures:
            print(f"  {name:<6} wall {figures[f'{name}_seconds']:6.2f} s   server "
                  f"{figures[f'{name}_server_cpu']:6.2f} s   client "
                  f"{figures[f'{name}_client_cpu']:6.2f} s   load {figures[f'{name}_load']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
