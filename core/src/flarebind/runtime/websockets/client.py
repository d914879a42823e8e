"""Outbound WebSockets: ``js.WebSocket.new(url)`` and ``fetch(url, headers={"Upgrade": "websocket"})``, on the
``websockets`` library (asyncio client). Events fire on the returned ``WebSocket`` end as in workerd: ``open``,
``message`` (``event.data`` str or bytes), ``error`` and ``close`` (``event.code``, ``event.reason``)."""

from __future__ import annotations

import asyncio
from typing import Any

from flarebind.jsobject import JsObject
from flarebind.runtime.websockets.socket import CLOSED, CONNECTING, OPEN, WebSocket, _keep, current_object


class _Connection:
    """The network side of an outbound end: a ``websockets`` client connection driven by one task."""

    def __init__(self, ws: WebSocket, url: str, protocols: list[str], headers: list[tuple[str, str]]) -> None:
        self.ws = ws
        self.url = url
        self.protocols = protocols
        self.headers = headers
        self.outgoing: asyncio.Queue[Any] = asyncio.Queue()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def send(self, data: Any) -> None:
        self.outgoing.put_nowait(("send", data))

    def close(self, code: int, reason: str) -> None:
        self.outgoing.put_nowait(("close", code, reason))

    async def run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        ws = self.ws
        try:
            connection = await connect(
                self.url,
                subprotocols=self.protocols or None,  # type: ignore[arg-type]
                additional_headers=self.headers or None,
                max_size=None,
            )
        except Exception as exc:
            if not self.opened.done():
                self.opened.set_exception(OSError(f"WebSocket connection to {self.url} failed: {exc}"))
                self.opened.exception()
            ws.readyState = CLOSED
            ws._receive("error", JsObject(type="error", error=exc, message=str(exc)))
            ws._receive("close", JsObject(type="close", code=1006, reason="", wasClean=False))
            ws._finished()
            return
        ws.protocol = connection.subprotocol or ""
        ws.readyState = OPEN
        if not self.opened.done():
            self.opened.set_result(None)
        ws._receive("open", JsObject(type="open"))

        async def pump_out() -> None:
            while True:
                item = await self.outgoing.get()
                if item[0] == "send":
                    await connection.send(item[1])
                else:
                    await connection.close(item[1], item[2])
                    return

        sender = asyncio.ensure_future(pump_out())
        code, reason, clean = 1006, "", False
        try:
            async for message in connection:
                ws._receive("message", JsObject(type="message", data=message))
        except ConnectionClosed:
            pass
        finally:
            received = getattr(connection.protocol, "close_rcvd", None)
            if received is not None:
                code, reason, clean = received.code, received.reason, True
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        ws._sent_close = True  # the library answered the close frame
        ws.readyState = CLOSED
        ws._receive("close", JsObject(type="close", code=code, reason=reason, wasClean=clean))
        ws._finished()


def connect(url: str, protocols: Any = None, *, headers: list[tuple[str, str]] | None = None) -> WebSocket:
    """``new WebSocket(url, protocols)``: returns at once (``CONNECTING``); events follow."""
    url = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) if url.startswith("http") else url
    ws = WebSocket(url)
    ws.readyState = CONNECTING
    wanted = [protocols] if isinstance(protocols, str) else list(protocols or [])
    connection = _Connection(ws, url, wanted, headers or [])
    ws._transport = connection
    ws._accepted = True  # `new WebSocket` needs no accept()
    record = current_object.get()
    if record is not None:  # an open outbound socket keeps its Durable Object in memory, as in workerd
        ws._pinned = record
        record.live_sockets += 1
    _keep(connection.run())
    return ws


async def fetch_upgrade(request: Any) -> Any:
    """``fetch()`` with ``Upgrade: websocket``: a 101 response whose ``webSocket`` must be ``accept()``-ed."""
    from flarebind.runtime.sdk.response import JsResponse

    skip = {"upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "host"}
    headers = [(k, v) for k, v in request.headers.raw_items() if k.lower() not in skip]
    protocols = [p.strip() for p in (request.headers.get("sec-websocket-protocol") or "").split(",") if p.strip()]
    headers = [(k, v) for k, v in headers if k.lower() != "sec-websocket-protocol"]
    ws = connect(request.url, protocols, headers=headers)
    ws._accepted = False  # a fetched socket queues its events until accept(), unlike `new WebSocket`
    transport = ws._transport
    await transport.opened
    ws.readyState = OPEN
    response_headers = {"sec-websocket-protocol": ws.protocol} if ws.protocol else None
    return JsResponse(None, status=101, headers=response_headers, webSocket=ws)
