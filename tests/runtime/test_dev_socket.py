"""The dev server's listening socket: connections it accepts send small writes at once (TCP_NODELAY).

asyncio sets TCP_NODELAY only on sockets whose ``proto`` is TCP; a listener made with proto 0 passes 0 on to every
accepted socket, and then a response's body waited behind its head for the client's delayed ACK (~40 ms per
keep-alive request)."""

from __future__ import annotations

import asyncio
import socket

from flarebind.runtime.devserver import bind_socket


async def test_accepted_connections_have_nodelay() -> None:
    listener = bind_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(seen, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
