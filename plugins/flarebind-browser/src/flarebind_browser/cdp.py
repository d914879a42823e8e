"""A small DevTools protocol client over the Browser binding's length-framed WebSocket.

Commands are ``await conn.send(method, params, session_id)``; events reach waiters registered with
:meth:`DevtoolsConnection.wait_for`. Pages are attached with ``flatten`` sessions, so one connection drives the
browser and all its pages, exactly as puppeteer does over the same endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any

from flarebind_browser.errors import BrowserError, ProtocolError

PING_SECONDS = 1.0  # @cloudflare/puppeteer pings the binding's socket every second to keep the session alive


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "little") + payload


def _unframe(data: bytes) -> bytes:
    return data[4 : 4 + int.from_bytes(data[:4], "little")]


class DevtoolsConnection:
    def __init__(self, socket: Any) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._waiters: list[tuple[str, str | None, Callable[[dict[str, Any]], bool], asyncio.Future[Any]]] = []
        self._listeners: list[Callable[[str, str | None, dict[str, Any]], None]] = []
        self.closed = False
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read())
        self._pinger = loop.create_task(self._ping())

    async def _read(self) -> None:
        try:
            while True:
                raw = await self._socket.receive()
                message = json.loads(_unframe(raw))
                if "id" in message:
                    entry = self._pending.pop(message["id"], None)
                    if entry is None or entry[1].done():
                        continue
                    method, future = entry
                    if "error" in message:
                        future.set_exception(ProtocolError(method, message["error"].get("message", "")))
                    else:
                        future.set_result(message.get("result", {}))
                    continue
                method, session, params = message.get("method"), message.get("sessionId"), message.get("params", {})
                for listener in list(self._listeners):
                    listener(method, session, params)
                for waiter in list(self._waiters):
                    w_method, w_session, predicate, future = waiter
                    if w_method == method and w_session == session and not future.done() and predicate(params):
                        future.set_result(params)
                        self._waiters.remove(waiter)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True
            for method, future in self._pending.values():
                if not future.done():
                    future.set_exception(ProtocolError(method, "Target closed"))
            self._pending.clear()
            for *_, future in self._waiters:
                if not future.done():
                    future.set_exception(BrowserError("Target closed"))
            self._waiters.clear()

    async def _ping(self) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not self.closed:
                await asyncio.sleep(PING_SECONDS)
                await self._socket.send("ping")  # unframed, as puppeteer sends it

    async def send(self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None) -> Any:
        if self.closed:
            raise ProtocolError(method, "Target closed")
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[message["id"]] = (method, future)
        await self._socket.send(_frame(json.dumps(message).encode()))
        return await future

    def wait_for(
        self, method: str, session_id: str | None, predicate: Callable[[dict[str, Any]], bool] = lambda p: True
    ) -> asyncio.Future[Any]:
        """A future for the next ``method`` event of ``session_id`` matching ``predicate`` (register before acting)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, session_id, predicate, future))
        return future

    def on(self, listener: Callable[[str, str | None, dict[str, Any]], None]) -> None:
        self._listeners.append(listener)

    async def close(self) -> None:
        self._pinger.cancel()
        with contextlib.suppress(Exception):
            await self._socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._pinger
