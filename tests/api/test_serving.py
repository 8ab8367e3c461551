"""app.serving: the sockets of `vbp serve --workers N`."""

import asyncio
import socket

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
