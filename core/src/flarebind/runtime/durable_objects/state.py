"""``ctx`` of a Durable Object (workerd's ``DurableObjectState``): id, storage, gates, lifecycle and WebSockets."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject

if TYPE_CHECKING:
    from flarebind.runtime.durable_objects.host import ObjectRecord

MAX_TAGS = 10
MAX_TAG_LENGTH = 256
MAX_HIBERNATABLE = 32768
MAX_AUTO_RESPONSE = 2048
MAX_EVENT_TIMEOUT_MS = 604_800_000
# workerd cancels a blockConcurrencyWhile() callback still running after 30 s and resets the object (so that a
# deadlocked critical section cannot hang it forever); a module constant so tests can shorten it
BLOCK_CONCURRENCY_TIMEOUT_S = 30.0
_BLOCK_CONCURRENCY_TIMEOUT_TEXT = (
    "A call to blockConcurrencyWhile() in a Durable Object waited for too long. "
    "The call was canceled and the Durable Object was reset."
)


class DurableObjectState:
    """``self.ctx`` in a Durable Object."""

    def __init__(self, record: ObjectRecord) -> None:
        self._record = record
        self.id = record.id()
        self.storage = record.storage
        self.props = JsObject()
        self._event_timeout: int | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def waitUntil(self, awaitable: Any) -> None:
        """Keeps the object from eviction until ``awaitable`` settles; does not delay the response."""
        from flarebind.runtime.sdk.context import _unwrap_proxy

        record = self._record
        record.wait_until += 1
        awaitable = _unwrap_proxy(awaitable)

        async def tracked() -> Any:
            try:
                return await awaitable
            finally:
                record.wait_until -= 1
                record.schedule_eviction()

        record.namespace.host.runtime._tracker.add(tracked())

    wait_until = waitUntil

    def blockConcurrencyWhile(self, callback: Any) -> asyncio.Future[Any]:
        """No other event reaches the object until ``callback()`` settles; a throw resets the object.

        Starts at once (constructors call it without ``await``) and returns an awaitable of its result.
        """
        record = self._record
        record.close_gate()

        async def run() -> Any:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    try:
                        result = await asyncio.wait_for(result, BLOCK_CONCURRENCY_TIMEOUT_S)
                    except asyncio.TimeoutError:
                        raise JsException(_BLOCK_CONCURRENCY_TIMEOUT_TEXT, name="Error") from None
                return result
            except BaseException as exc:
                record.reset_error = exc
                record.abort()
                raise
            finally:
                record.open_gate()

        task = asyncio.ensure_future(run())
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # no "never retrieved" noise
        return task

    block_concurrency_while = blockConcurrencyWhile

    def abort(self, reason: Any = None, options: Any = None) -> None:
        from flarebind.runtime.durable_objects.host import DurableObjectAbort

        self._record.abort(reason)
        text = str(reason) if reason is not None else "Application called abort() to reset Durable Object."
        raise DurableObjectAbort(text)

    # -- WebSocket hibernation ------------------------------------------------------------------------------------

    def acceptWebSocket(self, ws: Any, tags: Any = None) -> None:
        tags = list(dict.fromkeys(tags or []))
        if len(tags) > MAX_TAGS:
            raise JsException("a Hibernatable WebSocket cannot have more than 10 tags", name="Error")
        for tag in tags:
            if len(str(tag)) > MAX_TAG_LENGTH:
                raise JsException(f"tag must be at most {MAX_TAG_LENGTH} characters", name="Error")
        if len(self._record.sockets) >= MAX_HIBERNATABLE:
            raise JsException("too many hibernatable WebSockets on this Durable Object", name="Error")
        ws._accept_hibernatable(self._record, [str(t) for t in tags])

    def getWebSockets(self, tag: Any = None) -> list[Any]:
        return [ws for ws in self._record.sockets if ws.readyState in (1, 2) and (tag is None or str(tag) in ws._tags)]

    def getTags(self, ws: Any) -> list[str]:
        if ws not in self._record.sockets:
            raise JsException("getTags() was called with a WebSocket that is not hibernatable", name="TypeError")
        return list(ws._tags)

    def setWebSocketAutoResponse(self, pair: Any = None) -> None:
        if pair is not None:
            for text in (pair.request, pair.response):
                if len(text) > MAX_AUTO_RESPONSE:
                    raise ValueError("Auto-response request and response must each be at most 2048 characters")
        self._record.auto_response = pair

    def getWebSocketAutoResponse(self) -> Any:
        return self._record.auto_response

    def getWebSocketAutoResponseTimestamp(self, ws: Any) -> Any:
        return ws._auto_response_at

    def setHibernatableWebSocketEventTimeout(self, timeout_ms: Any = None) -> None:
        if timeout_ms is not None and not 0 <= int(timeout_ms) <= MAX_EVENT_TIMEOUT_MS:
            raise ValueError(f"timeout must be between 0 and {MAX_EVENT_TIMEOUT_MS} ms")
        self._event_timeout = None if timeout_ms is None else int(timeout_ms)

    def getHibernatableWebSocketEventTimeout(self) -> int | None:
        return self._event_timeout

    accept_web_socket = acceptWebSocket
    get_web_sockets = getWebSockets
