"""``js.WebSocketPair`` / ``js.WebSocket`` in plain Workers: accepted pairs, outbound connections, errors."""

from __future__ import annotations

import asyncio
import re

import pytest
from flarebind.errors import JsException
from websockets.asyncio.server import serve

ECHO_WORKER = """
from js import WebSocketPair
from pyodide.ffi import create_proxy
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        client, server = WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            server.send("echo: " + event.data if isinstance(event.data, str) else bytes(event.data)[::-1])

        def on_close(event):
            server.close(event.code, "bye")

        server.addEventListener("message", create_proxy(on_message))
        server.addEventListener("close", create_proxy(on_close))
        server.send("welcome")
        return Response(None, status=101, web_socket=client)
"""


async def test_accepted_pair_echoes_text_and_bytes_and_closes(run_worker):
    rt = await run_worker(ECHO_WORKER)
    refused = await rt.dispatch_fetch("http://localhost/")
    assert refused.status == 426
    response = await rt.dispatch_fetch("http://localhost/", headers={"Upgrade": "websocket"})
    assert response.status == 101
    ws = response.js_object.webSocket
    events: asyncio.Queue = asyncio.Queue()
    ws.addEventListener("message", lambda e: events.put_nowait(e.data))
    ws.addEventListener("close", lambda e: events.put_nowait((e.code, e.reason, e.wasClean)))
    ws.accept()
    assert await asyncio.wait_for(events.get(), 10) == "welcome"  # sent before the client accepted: queued
    ws.send("hi")
    assert await asyncio.wait_for(events.get(), 10) == "echo: hi"
    ws.send(b"\x01\x02")
    assert await asyncio.wait_for(events.get(), 10) == b"\x02\x01"
    ws.close(1000, "done")
    assert await asyncio.wait_for(events.get(), 10) == (1000, "bye", True)
    assert ws.readyState == 3


async def test_socket_errors_use_workerd_texts():
    from flarebind.runtime.websockets.socket import WebSocketPair

    _client, server = WebSocketPair.new().object_values()
    with pytest.raises(JsException, match="^" + re.escape("You must call one of accept() or state.acceptWebSocket()")):
        server.send("too early")
    server.accept()
    with pytest.raises(TypeError, match="takes a string or bytes"):
        server.send(123)
    with pytest.raises(JsException, match="already accepted via `accept\\(\\)`"):
        server._accept_hibernatable(object(), [])


OUTBOUND_WORKER = """
import asyncio
import js
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = self.env.UPSTREAM
        reply = asyncio.get_running_loop().create_future()
        response = await js.fetch(url, headers={"Upgrade": "websocket", "Sec-WebSocket-Protocol": "chat"})
        ws = response.webSocket
        ws.addEventListener("message", lambda event: reply.done() or reply.set_result(event.data))
        ws.accept()
        ws.send("from the worker")
        text = await reply
        ws.close(1000, "thanks")
        return Response(f"{response.status} {ws.protocol} {text}")
"""


async def test_outbound_fetch_upgrade(run_worker):
    seen: list[str] = []

    async def upstream(connection):
        seen.append(connection.request.headers.get("sec-websocket-protocol"))
        message = await connection.recv()
        await connection.send(f"upstream got: {message}")
        await connection.wait_closed()

    async with serve(upstream, "127.0.0.1", 0, subprotocols=["chat"]) as server:
        port = server.sockets[0].getsockname()[1]
        rt = await run_worker(OUTBOUND_WORKER, vars={"UPSTREAM": f"http://127.0.0.1:{port}/feed"})
        response = await rt.dispatch_fetch("http://localhost/")
        assert await response.text() == "101 chat upstream got: from the worker"
    assert seen == ["chat"]


async def test_outbound_connection_failure_fires_error_and_close(run_worker):
    from flarebind.runtime.websockets.socket import WebSocket

    events: asyncio.Queue = asyncio.Queue()
    ws = WebSocket.new("ws://127.0.0.1:9/nothing-listens-here")
    assert ws.readyState == 0
    ws.addEventListener("error", lambda e: events.put_nowait("error"))
    ws.addEventListener("close", lambda e: events.put_nowait(("close", e.code, e.wasClean)))
    assert await asyncio.wait_for(events.get(), 10) == "error"
    assert await asyncio.wait_for(events.get(), 10) == ("close", 1006, False)


async def test_a_lost_connection_is_an_unclean_close_for_the_peer():
    from flarebind.runtime.websockets.socket import WebSocketPair

    client, server = WebSocketPair.new().object_values()
    closes: list = []
    server.addEventListener("close", lambda e: closes.append((e.code, e.wasClean)))
    server.accept()
    client.accept()
    client._lost()  # what the dev server does when the network connection drops without a close frame
    assert closes == [(1006, False)]
    assert server.readyState == client.readyState == 3
