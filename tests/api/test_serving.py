"""app.serving: the sockets of `vbp serve --workers N`."""

import asyncio
import gc
import socket
from pathlib import Path

import pytest
import uvicorn

from app.cli import build_parser
from app.serving import listening_socket


def test_serve_takes_a_number_of_workers() -> None:
    assert build_parser().parse_args(["serve", "--workers", "3"]).workers == 3
    assert build_parser().parse_args(["serve"]).workers is None  # the setting decides


def test_connections_get_tcp_nodelay_from_asyncio() -> None:
    """asyncio sets TCP_NODELAY only on sockets that say IPPROTO_TCP; without it a keep-alive
    response waits for the client's delayed ACK."""
    sock = listening_socket("127.0.0.1", 0, reuse_port=True)
    port = sock.getsockname()[1]
    nodelay: list[int] = []

    async def main() -> None:
        def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            nodelay.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(serve, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert nodelay and nodelay[0] != 0


def test_two_workers_can_share_a_port() -> None:
    first = listening_socket("127.0.0.1", 0, reuse_port=True)
    second = listening_socket("127.0.0.1", first.getsockname()[1], reuse_port=True)
    assert second.getsockname() == first.getsockname()
    first.close()
    second.close()


def _frozen(app: object) -> bool:
    """`app` is out of the collector's reach (gc.get_objects() lists the tracked objects of
    the three generations, not the frozen ones)."""
    return not any(o is app for o in gc.get_objects())


def test_a_serving_process_freezes_its_start_up_heap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways `vbp serve` builds its app (the workers' factory, and one process) freeze
    what start-up made, the app included; `create_app` alone (the tests) does not."""
    from app import main
    from app.settings import Settings

    url = f"sqlite:///{tmp_path / 'vbp.db'}"
    monkeypatch.setenv("VBP_DATABASE_URL", url)
    served: list[object] = []
    monkeypatch.setattr(main, "upgrade", lambda url: None)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    gc.unfreeze()
    try:
        plain = main.create_app(Settings(database_url=url))
        assert not _frozen(plain) and gc.get_freeze_count() == 0
        assert _frozen(main.app_from_environment())
        gc.unfreeze()
        assert main.serve(workers=1) == 0
        assert len(served) == 1 and _frozen(served[0])
    finally:
        gc.unfreeze()


def _workers_of(pid: int) -> set[int]:
    """The worker processes `vbp serve` (pid) runs: its spawned children (the resource
    tracker aside)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmdline and " Z " not in stat:
            found.add(int(entry.name))
    return found


def test_a_killed_worker_is_started_again_while_the_other_serves(database: object) -> None:
    """`kill -9` of one worker used to stop the whole service (exit 1, connections refused)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from tests.conftest import TestDatabase

    assert isinstance(database, TestDatabase)
    if database.backend != "postgresql":
        pytest.skip("on SQLite the service runs in one process")
    port = listening_socket("127.0.0.1", 0).getsockname()[1]
    vbp = Path(sys.executable).with_name("vbp")
    serve = subprocess.Popen(
        [str(vbp), "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "VBP_DATABASE_URL": database.url},
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def wait_for(condition: object, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise AssertionError("timed out")

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(lambda: len(_workers_of(serve.pid)) == 2 and healthy())
        first = _workers_of(serve.pid)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(_workers_of(serve.pid) - {victim}) == 2)
        assert serve.poll() is None  # still serving
        assert min(first) not in _workers_of(serve.pid)
        wait_for(lambda: all(healthy() for _ in range(10)))
    finally:
        serve.terminate()
        try:
            code = serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
        log = serve.stderr.read() if serve.stderr else ""
    assert code == 0, log
    assert f"worker process {victim} stopped (exit code -9); started" in log, log
