"""Service benchmarks on PostgreSQL, loopback only, bounded in time (figures printed, never asserted).

    python -m bench.service [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/vbp_bench]

1. bulk demand import: institutions each upload 2,000 CSV lines, first one upload at a time
   (50 institutions, 100,000 lines), then `--bulk-clients` uploads at once (another 50) — lines/s;
2. bid submission: 32 concurrent enterprise clients submit and re-submit sealed bids. After a
   warm-up (`--warmup` requests per client, not measured: connections, prepared statements and
   threads are made once in a service's life), two measurements:
   - closed loop: each client sends its next request when the previous answer has arrived —
     the most the service does (requests/s) and the latency at that load;
   - paced: the clients together send `--paced-rate` requests/s (300, the target) on a fixed
     schedule, each request's latency counted from the moment it was due (so a service that
     falls behind is charged for the wait: no coordinated omission) — p50/p99 at that rate.
   The load comes from one asyncio thread of this process, a keep-alive connection per client
   (`--load-client httpx-threads`: a thread with an httpx client per client, as the first
   version of this benchmark did, closed loop only);
3. baseline, in the same run: GET /health (one `SELECT 1`, no authentication) from the same 32
   clients, closed loop — the framework's own cost on this machine; bids are printed as a
   ratio of it;
4. /health while a provincial-scale award runs (the generated provincial round imported via
   POST /rounds:import), polled from just before POST /award until its job has ended —
   p50/p99 of /health, and the award's own time.

The database named by --database-url is dropped and created afresh; a `vbp serve` child runs on a
free 127.0.0.1 port (`--workers N` processes, default one per CPU) and is stopped at the end.
Beside the figures: the CPU the service (with its award worker), PostgreSQL and this client used
in each phase, per line or per request, and the load average when the phase started: on a small
shared machine, compare figures taken under similar load only. Targets printed beside the
figures: ≥ 20,000 lines/s; ≥ 300 requests/s with p99 ≤ 100 ms; /health p99 ≤ 50 ms.
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
from concurrent.futures import ThreadPoolExecutor
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


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, name, CPU seconds used so far: user + system) of every process,
    from /proc; {} where there is no /proc."""
    found: dict[int, tuple[int, str, float]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return found
    for entry in entries:
        try:
            head, _, rest = Path(f"/proc/{entry}/stat").read_text().rpartition(")")
        except OSError:
            continue
        fields = rest.split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICK
        found[int(entry)] = (int(fields[1]), head.partition("(")[2], cpu)
    return found


def _tree_cpu_seconds(pid: int) -> float:
    """CPU used so far by `pid` and its live descendants (the award worker)."""
    stats = _processes()
    total, wanted = 0.0, {pid}
    while wanted:
        total += sum(stats[p][2] for p in wanted if p in stats)
        wanted = {p for p, (ppid, _, _) in stats.items() if ppid in wanted}
    return total


def _postgres_cpu_seconds() -> float:
    """CPU used so far by the processes named `postgres` (the local server's backends and
    helpers; a backend that ended meanwhile is not counted)."""
    return sum(cpu for _, name, cpu in _processes().values() if name == "postgres")


class Meter:
    """Wall time, the CPU of the server, of PostgreSQL and of this client, and the load
    average over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> "Meter":
        self.load = os.getloadavg()[0]
        self.server0 = _tree_cpu_seconds(self.server_pid)
        self.postgres0 = _postgres_cpu_seconds()
        self.client0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.wall0
        self.server_cpu = _tree_cpu_seconds(self.server_pid) - self.server0
        self.postgres_cpu = _postgres_cpu_seconds() - self.postgres0
        self.client_cpu = time.process_time() - self.client0

    def figures(self, name: str) -> dict[str, float]:
        return {
            f"{name}_seconds": self.seconds,
            f"{name}_server_cpu": self.server_cpu,
            f"{name}_postgres_cpu": self.postgres_cpu,
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


def _raw_request(host: str, method: str, path: str, token: str | None, body: bytes = b"") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    content = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}{content}\r\n".encode() + body


class Load:
    """What one load run measured: per-request latencies, the first errors, wall seconds from
    the first request to the last answer, and the Meter of the run."""

    def __init__(self, latencies: list[float], errors: list[str], seconds: float) -> None:
        self.latencies, self.errors, self.seconds = latencies, errors, seconds

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")


async def _drive(host: str, requests: list[list[bytes]], rate: float | None = None) -> Load:
    """One keep-alive HTTP/1.1 connection per client, all opened before the clock starts,
    all clients at once, in one thread of this process.

    Without `rate` (closed loop) each client sends its next request when the previous answer
    has arrived, and a latency runs from writing the request to having read the whole answer.
    With `rate` (paced) request i of client c is due at start + (i·clients + c)/rate, so the
    clients together offer `rate` requests/s, spread evenly; a request goes out when it is due
    or, if its client is still waiting for the previous answer, as soon as that arrives, and
    its latency runs from when it was due (a service that falls behind is charged the wait).

    A plain asyncio client costs a fraction of the CPU that 32 threads of httpx cost, so on a
    small machine the figures measure the service, not the load generator (whose CPU is
    printed beside them)."""
    name, _, port = host.partition(":")
    connections = await asyncio.gather(
        *(asyncio.open_connection(name, int(port)) for _ in requests)
    )
    latencies: list[float] = []
    errors: list[str] = []
    clients = len(requests)
    start = time.perf_counter() + 0.01

    async def client(c: int, mine: list[bytes]) -> None:
        reader, writer = connections[c]
        try:
            for i, raw in enumerate(mine):
                if rate is None:
                    sent = time.perf_counter()
                else:
                    sent = start + (i * clients + c) / rate
                    if (delay := sent - time.perf_counter()) > 0:
                        await asyncio.sleep(delay)
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                latencies.append(time.perf_counter() - sent)
                status = int(head[9:12])
                if status not in (200, 201):
                    errors.append(f"{status} {body[:200].decode(errors='replace')}")
        finally:
            writer.close()

    await asyncio.gather(*(client(c, mine) for c, mine in enumerate(requests)))
    return Load(latencies, errors, time.perf_counter() - start)


def _closed_loop(host: str, requests: list[list[bytes]]) -> Load:
    return asyncio.run(_drive(host, requests))


def _paced(host: str, requests: list[list[bytes]], rate: float) -> Load:
    return asyncio.run(_drive(host, requests, rate))


def _httpx_threads(base: str, requests: list[list[bytes]]) -> Load:
    """The closed loop with one thread and one httpx client per client (the benchmark's
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
            r = http.request(lines[0].split(" ")[0], lines[0].split(" ")[1], content=body,
                             headers=headers)  # fmt: skip
            own.append(time.perf_counter() - t)
            if r.status_code not in (200, 201):
                with lock:
                    errors.append(f"{r.status_code} {r.text[:200]}")
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in requests]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Load(latencies, errors, time.perf_counter() - t0)


def _load_figures(name: str, load: Load, meter: "Meter") -> dict[str, Any]:
    n = max(1, len(load.latencies))
    return {
        f"{name}_requests": len(load.latencies),
        f"{name}_rate": load.rate,
        f"{name}_p50_ms": _pct(load.latencies, 0.50) * 1000 if load.latencies else float("nan"),
        f"{name}_p99_ms": _pct(load.latencies, 0.99) * 1000 if load.latencies else float("nan"),
        f"{name}_errors": load.errors[:3],
        f"{name}_server_ms": meter.server_cpu / n * 1000,
        f"{name}_postgres_ms": meter.postgres_cpu / n * 1000,
        f"{name}_client_ms": meter.client_cpu / n * 1000,
        f"{name}_load": meter.load,
    }


def _register(api: httpx.Client, kind: str, actor_id: str, **fields: Any) -> str:
    """Register an institution or enterprise; its token."""
    _check(api.post(f"/api/v1/{kind}", json={"id": actor_id, "name": actor_id, **fields}))
    return str(
        _check(api.post(f"/api/v1/{kind}/{actor_id}/tokens", json={"name": "bench"}))["token"]
    )


def bench_bulk_and_bids(base: str, bureau: str, server_pid: int, *, groups: int,
                        institutions: int, clients: int, requests_per_client: int,
                        load_client: str = "asyncio", bulk_clients: int = 4, warmup: int = 5,
                        paced_rate: float = 300.0, paced_seconds: float = 10.0,
                        ) -> dict[str, Any]:  # fmt: skip
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

    tokens = [
        _register(api, "institutions", f"{round_id}-H{i:04d}", region=f"R{i % 16}")
        for i in range(2 * institutions)
    ]
    csv_body = ("group,reported,last_year_usage\n" + "".join(
        f"G{g:05d},{1000 + g},{1000 + g}\n" for g in range(groups)
    )).encode()  # fmt: skip

    def upload(token: str) -> None:
        _check(api.post(
            f"/api/v1/rounds/{round_id}/demands:bulk", content=csv_body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        ))  # fmt: skip

    figures: dict[str, Any] = {"bulk_lines": groups * institutions, "bulk_clients": bulk_clients}
    with Meter(server_pid) as one_meter:
        for token in tokens[:institutions]:
            upload(token)
    figures |= one_meter.figures("bulk1")
    with Meter(server_pid) as many_meter, ThreadPoolExecutor(bulk_clients) as pool:
        list(pool.map(upload, tokens[institutions:]))
    figures |= many_meter.figures("bulkn")

    # Close demand now, lock, open bidding for the benchmark.
    now = datetime.now(UTC)
    _check(api.patch(f"/api/v1/rounds/{round_id}", json={"demand_closes_at": now.isoformat(),
        "bidding_opens_at": now.isoformat(),
        "bidding_closes_at": (now + timedelta(hours=2)).isoformat()}))  # fmt: skip
    _check(api.post(f"/api/v1/rounds/{round_id}/transitions", json={"to": "demand_locked"}))
    _check(api.post(f"/api/v1/rounds/{round_id}/transitions", json={"to": "bidding_open"}))

    enterprise_tokens = [
        _register(api, "enterprises", f"{round_id}-E{c:03d}") for c in range(clients)
    ]
    # Every request is built before the clock starts, so the load generator spends its CPU on
    # sending and receiving only (see _drive).
    path = f"/api/v1/rounds/{round_id}/bids"
    host = base.removeprefix("http://")
    paced_per_client = max(1, round(paced_rate * paced_seconds / clients))
    per_client = warmup + requests_per_client + paced_per_client
    requests: list[list[bytes]] = []
    for c in range(clients):
        mine = []
        for k in range(per_client):
            body = {
                "group": f"G{(c * 7 + k) % groups:05d}",
                "product": {"strength": "10", "strength_unit": "mg", "units_per_pack": 28,
                            "dosage_form": "tablet", "quality": "gqce"},
                "pack_price": f"{10 + (k % 50) / 100:.2f}", "capacity": 1_000_000,
            }  # fmt: skip
            raw = _raw_request(host, "POST", path, enterprise_tokens[c], json.dumps(body).encode())
            mine.append(raw)
        requests.append(mine)
    warm = [r[:warmup] for r in requests]
    closed = [r[warmup : warmup + requests_per_client] for r in requests]
    paced = [r[warmup + requests_per_client :] for r in requests]

    health = [
        [_raw_request(host, "GET", "/health", None)] * (warmup + requests_per_client)
    ] * clients
    _closed_loop(host, [r[:warmup] for r in health])
    with Meter(server_pid) as meter:
        load = _closed_loop(host, [r[warmup:] for r in health])
    figures |= _load_figures("floor", load, meter)

    _closed_loop(host, warm)
    with Meter(server_pid) as meter:
        load = (
            _closed_loop(host, closed) if load_client == "asyncio" else _httpx_threads(base, closed)
        )
    figures |= _load_figures("bid", load, meter)
    with Meter(server_pid) as meter:
        load = _paced(host, paced, paced_rate)
    figures |= _load_figures("paced", load, meter) | {"paced_target": paced_rate}
    return figures


def bench_health_during_award(
    base: str, bureau: str, server_pid: int, document: Path
) -> dict[str, Any]:
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bureau}"}, timeout=300)
    doc = json.loads(document.read_text())
    doc["round"]["id"] = f"PROV-{int(time.time())}"
    imported = _check(api.post("/api/v1/rounds:import", json=doc))
    round_id = imported.get("id", doc["round"]["id"])
    health = httpx.Client(base_url=base, timeout=10)
    latencies: list[float] = []
    polling = threading.Event()
    polling.set()

    def poll_health() -> None:  # from just before the award is requested to its end
        while polling.is_set():
            t = time.perf_counter()
            health.get("/health")
            latencies.append(time.perf_counter() - t)
            time.sleep(0.005)

    poller = threading.Thread(target=poll_health, name="health-poller")
    with Meter(server_pid) as meter:
        poller.start()
        try:
            job = _check(api.post(f"/api/v1/rounds/{round_id}/award"), 202)
            status = job["status"]
            while status not in ("succeeded", "failed") and time.perf_counter() - meter.wall0 < 600:
                time.sleep(0.1)
                status = _check(api.get(f"/api/v1/jobs/{job['id']}"))["status"]
        finally:
            polling.clear()
            poller.join()
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
    parser.add_argument(
        "--institutions", type=int, default=50,
        help="uploads in each bulk phase (one at a time, then --bulk-clients at once)",
    )  # fmt: skip
    parser.add_argument("--bulk-clients", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests-per-client", type=int, default=150, help="closed loop")
    parser.add_argument("--warmup", type=int, default=5, help="requests per client, unmeasured")
    parser.add_argument("--paced-rate", type=float, default=300.0, help="requests/s offered")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--skip-award", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="vbp serve worker processes (default: one per CPU)",
    )  # fmt: skip
    parser.add_argument(
        "--load-client", choices=["asyncio", "httpx-threads"], default="asyncio",
        help="closed-loop bid load: one asyncio thread (default), or a thread with httpx per client",
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
            load_client=args.load_client, bulk_clients=args.bulk_clients, warmup=args.warmup,
            paced_rate=args.paced_rate, paced_seconds=args.paced_seconds,
        )  # fmt: skip
        if not args.skip_award:
            from bench.run import ensure_document

            figures |= bench_health_during_award(
                server.base, bureau, pid, ensure_document("provincial", 1, regenerate=False)
            )
    report(figures, args)
    return 0


def report(figures: dict[str, Any], args: argparse.Namespace) -> None:
    f = figures
    lines = f["bulk_lines"]
    print(f"{'benchmark':<40}{'figure':>20}  target")
    for key, label in (("bulk1", "bulk demand import, 1 upload at a time"),
                       ("bulkn", f"bulk demand import, {f['bulk_clients']} at once")):  # fmt: skip
        print(f"{label:<40}{lines / f[f'{key}_seconds']:>14,.0f} l/s   ≥ 20,000 lines/s "
              f"({lines:,} lines in {f[f'{key}_seconds']:.2f} s)")  # fmt: skip
    print(f"{f'bid submission, {args.clients} clients, closed':<40}{f['bid_rate']:>14,.0f} r/s   "
          f"≥ 300 requests/s ({f['bid_requests']:,} requests)")  # fmt: skip
    print(f"{'  p50 / p99 at that load':<40}{f['bid_p50_ms']:>9.1f} / {f['bid_p99_ms']:.1f} ms")
    paced = f"bid submission, paced at {f['paced_target']:.0f} r/s"
    print(f"{paced:<40}{f['paced_rate']:>14,.0f} r/s   "
          f"p99 ≤ 100 ms ({f['paced_requests']:,} requests, latency from when each was due)")  # fmt: skip
    print(f"{'  p50 / p99':<40}{f['paced_p50_ms']:>9.1f} / {f['paced_p99_ms']:.1f} ms")
    for name in ("bid", "paced"):
        if f[f"{name}_errors"]:
            print(f"  {name} errors (first 3): {f[f'{name}_errors']}")
    print(f"{'baseline: GET /health, closed':<40}{f['floor_rate']:>14,.0f} r/s   "
          f"(no token, one SELECT 1: the framework's own cost here; bids reach "
          f"{f['bid_rate'] / f['floor_rate']:.2f} of it)")  # fmt: skip
    if "health_p99_ms" in f:
        print(f"{'/health during award p50 / p99':<40}{f['health_p50_ms']:>9.1f} / "
              f"{f['health_p99_ms']:.1f} ms   p99 ≤ 50 ms "
              f"({f['health_requests']} requests; award {f['award_status']} "
              f"in {f['award_seconds']:.1f} s)")  # fmt: skip
    print(f"\nCPU per unit of work (server = vbp serve and its award worker; postgres = the "
          f"local server's processes; client = this process; load = 1-min load average at the "
          f"start), {os.cpu_count()} CPUs, vbp serve --workers {args.workers}:")  # fmt: skip
    for key in ("bulk1", "bulkn"):
        per = 1e6 / lines
        print(f"  {key:<8} per line   server {f[f'{key}_server_cpu'] * per:7.1f} µs   postgres "
              f"{f[f'{key}_postgres_cpu'] * per:7.1f} µs   client "
              f"{f[f'{key}_client_cpu'] * per:6.1f} µs   load {f[f'{key}_load']:.2f}")  # fmt: skip
    for key in ("floor", "bid", "paced"):
        print(f"  {key:<8} per request server {f[f'{key}_server_ms']:7.2f} ms   postgres "
              f"{f[f'{key}_postgres_ms']:7.2f} ms   client {f[f'{key}_client_ms']:6.2f} ms   "
              f"load {f[f'{key}_load']:.2f}")  # fmt: skip
    if "award_seconds" in f:
        print(
            f"  award    wall {f['award_seconds']:6.2f} s   server {f['award_server_cpu']:6.2f} s"
            f"   postgres {f['award_postgres_cpu']:6.2f} s   load {f['award_load']:.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
