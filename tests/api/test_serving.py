"""app.serving: the sockets of `vbp serve --workers N`."""

import asyncio
import gc
import socket
from pathlib import Path

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


def test_a_serving_process_freezes_its_start_up_heap(tmp_path: Path) -> None:
    """`vbp serve` (both paths) builds its app with `_serving_app`: the objects alive after
    start-up are moved out of the garbage collector's reach; `create_app` alone is not."""
    from app.main import _serving_app, create_app
    from app.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'vbp.db'}")
    gc.unfreeze()
    try:
        create_app(settings)
        assert gc.get_freeze_count() == 0
        _serving_app(settings)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
