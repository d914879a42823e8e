"""Serving WebSocket upgrades to real clients: an ASGI ``websocket`` scope bridged to the Worker's response.

The request goes through the Worker's fetch handler like any other; a ``101`` response carrying a ``webSocket``
(the client end of a ``WebSocketPair``) is accepted on the wire and bridged both ways; any other response is sent
as the HTTP answer to the upgrade request (uvicorn's ``websocket.http.response`` extension). The protocol under
uvicorn is the ``websockets`` library's, imported on the first upgrade only, so plain HTTP start-up stays lean.
"""

from __future__ import annotations

import asyncio
from typing import Any

from flarebind.jsobject import JsObject


class LazyWebSocketProtocol:
    """Passed to uvicorn as its ``ws`` protocol class: builds uvicorn's ``websockets`` (sans-I/O) protocol on the
    first upgrade, keeping ``websockets`` out of ``flarebind dev`` start-up."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

        return WebSocketsSansIOProtocol(*args, **kwargs)


async def serve_websocket(scope: dict[str, Any], receive: Any, send: Any, response: Any) -> int:
    """Answer an upgrade request with the Worker's ``response``; returns the status sent (101 when bridged)."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return 0
    ws = getattr(response, "webSocket", None)
    if response.status != 101 or ws is None:
        await _refuse(scope, send, response)
        return int(response.status)
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in response.headers.raw_items()
        if k.lower() not in ("upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol")
    ]
    await send(
        {"type": "websocket.accept", "subprotocol": response.headers.get("sec-websocket-protocol"), "headers": headers}
    )
    await bridge(ws, receive, send)
    return 101


async def _refuse(scope: dict[str, Any], send: Any, response: Any) -> None:
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.raw_items()]
    await send({"type": "websocket.http.response.start", "status": response.status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": await response.bytes()})


async def bridge(ws: Any, receive: Any, send: Any) -> None:
    """Carry messages between the client end ``ws`` and the network until either side closes."""
    outgoing: asyncio.Queue[JsObject] = asyncio.Queue()
    ws.addEventListener("message", outgoing.put_nowait)
    ws.addEventListener("close", outgoing.put_nowait)
    ws.accept()

    async def pump_out() -> None:
        while True:
            event = await outgoing.get()
            if event.type == "close":
                code = int(event.get("code") or 1000)
                await send({"type": "websocket.close", "code": code, "reason": event.get("reason") or ""})
                return
            data = event.data
            if isinstance(data, str):
                await send({"type": "websocket.send", "text": data})
            else:
                await send({"type": "websocket.send", "bytes": bytes(data)})

    async def pump_in() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                text = message.get("text")
                ws.send(text if text is not None else message.get("bytes") or b"")
            elif message["type"] == "websocket.disconnect":
                code = int(message.get("code") or 1005)
                if code in (1005, 1006) or not 1000 <= code < 5000:
                    ws._lost(1006 if code != 1005 else 1005)  # no close frame, or no status in it
                else:
                    ws.close(code, message.get("reason"))  # the peer hears the client's close
                return

    # two plain loops (no asyncio.wait per message): whichever side ends first ends the bridge
    sender = asyncio.ensure_future(pump_out())
    reader = asyncio.ensure_future(pump_in())
    try:
        await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
        if reader.done() and not sender.done():
            try:  # the client closed: give the Worker a moment to answer the close, then stop
                await asyncio.wait_for(asyncio.shield(sender), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass
    finally:
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
