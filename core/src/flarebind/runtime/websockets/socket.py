"""The JS ``WebSocket`` and ``WebSocketPair``: two in-process ends, each delivering what the other sends.

An end delivers events to ``addEventListener`` listeners once ``accept()`` is called (events queue until then), or
— after ``ctx.acceptWebSocket(ws)`` in a Durable Object — to the object's ``webSocketMessage`` / ``webSocketClose``
/ ``webSocketError`` handlers, waking it if it was evicted (hibernation). An end can also be backed by a network
connection: the dev server bridges a returned client end to a real client (``asgi.py``), and ``WebSocket.new(url)``
connects out (``client.py``). A received close frame is answered automatically once its handlers have run
(workerd's ``web_socket_auto_reply_to_close``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from typing import Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject

CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3
MAX_ATTACHMENT = 16384

# the Durable Object whose event is running (set by durable_objects.host): sockets it accepts keep it in memory
current_object: contextvars.ContextVar[Any] = contextvars.ContextVar("flarebind_current_object", default=None)
_tasks: set[asyncio.Future[Any]] = set()


def _keep(awaitable: Any) -> None:
    task = asyncio.ensure_future(awaitable)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


class WebSocket:
    """``WebSocket``: ``accept``, ``send``, ``close``, ``addEventListener``, ``readyState``, attachments."""

    CONNECTING, OPEN, CLOSING, CLOSED = CONNECTING, OPEN, CLOSING, CLOSED
    READY_STATE_CONNECTING, READY_STATE_OPEN, READY_STATE_CLOSING, READY_STATE_CLOSED = 0, 1, 2, 3

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self.protocol = ""
        self.extensions = ""
        self.binaryType = "arraybuffer"
        self.readyState = OPEN
        self._peer: WebSocket | None = None
        self._listeners: dict[str, list[Any]] = {}
        self._accepted = False
        self._queued: list[tuple[str, JsObject]] = []
        self._record: Any = None  # hibernation: the Durable Object record that owns this end
        self._pinned: Any = None  # the object this end keeps in memory (accept() inside a Durable Object)
        self._tags: list[str] = []
        self._attachment: bytes | None = None
        self._auto_response_at: Any = None
        self._sent_close = False
        self._transport: Any = None  # a network connection behind this end (outbound client)

    @classmethod
    def new(cls, url: Any, protocols: Any = None) -> WebSocket:
        """``new WebSocket(url)``: an outbound connection (``client.py``)."""
        from flarebind.runtime.websockets.client import connect

        return connect(str(url), protocols)

    # -- accepting ------------------------------------------------------------------------------------------------

    def accept(self, options: Any = None) -> None:
        if self._record is not None:
            raise JsException("Cannot call accept() on a WebSocket accepted with acceptWebSocket()", name="Error")
        if self._accepted:
            return
        self._accepted = True
        record = current_object.get()
        if record is not None and self._pinned is None:
            self._pinned = record
            record.live_sockets += 1
        self._flush()

    def _accept_hibernatable(self, record: Any, tags: list[str]) -> None:
        if self._accepted:
            raise JsException(
                "Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`", name="Error"
            )
        self._accepted = True
        self._record = record
        self._tags = tags
        record.sockets.append(self)
        self._flush()

    def _flush(self) -> None:
        queued, self._queued = self._queued, []
        for kind, event in queued:
            self._dispatch(kind, event)

    # -- sending --------------------------------------------------------------------------------------------------

    def send(self, message: Any) -> None:
        if self.readyState == CONNECTING:
            raise JsException("WebSocket is not open yet", name="InvalidStateError")
        if not self._accepted:
            raise JsException(
                "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.",
                name="TypeError",
            )
        if self.readyState in (CLOSING, CLOSED) and self._sent_close:
            raise JsException("Can't call WebSocket send() after close().", name="TypeError")
        data = _payload(message)
        if self._transport is not None:
            self._transport.send(data)
        elif self._peer is not None:
            self._peer._receive("message", JsObject(type="message", data=data))

    def close(self, code: Any = None, reason: Any = None) -> None:
        if self._sent_close or self.readyState == CLOSED:
            return  # closing twice (e.g. answering a close in webSocketClose) is harmless
        code = 1000 if code is None else int(code)
        reason = "" if reason is None else str(reason)
        if len(reason.encode()) > 123:
            raise ValueError("reason must be at most 123 bytes")
        self._sent_close = True
        self.readyState = CLOSED if self.readyState == CLOSING else CLOSING
        if self._transport is not None:
            self._transport.close(code, reason)
        elif self._peer is not None:
            self._peer._receive("close", JsObject(type="close", code=code, reason=reason, wasClean=True))
        if self.readyState == CLOSED:
            self._finished()

    def _lost(self, code: int = 1006) -> None:
        """The network connection behind this end ended without a close frame: the peer hears an unclean close
        (``code`` 1005 "no status" or 1006 "abnormal"), as workerd reports it."""
        if self._sent_close or self.readyState == CLOSED:
            return
        self._sent_close = True
        self.readyState = CLOSED
        if self._peer is not None:
            self._peer._receive("close", JsObject(type="close", code=code, reason="", wasClean=code == 1005))
        self._finished()

    # -- events ---------------------------------------------------------------------------------------------------

    def addEventListener(self, kind: str, listener: Any, options: Any = None) -> None:
        self._listeners.setdefault(str(kind), []).append(listener)

    def removeEventListener(self, kind: str, listener: Any, options: Any = None) -> None:
        listeners = self._listeners.get(str(kind), [])
        if listener in listeners:
            listeners.remove(listener)

    add_event_listener, remove_event_listener = addEventListener, removeEventListener

    def _receive(self, kind: str, event: JsObject) -> None:
        """The other side sent ``event`` (message, close or error)."""
        if kind == "close":
            self.readyState = CLOSED if self._sent_close else CLOSING
        if self._accepted:
            self._dispatch(kind, event)
        else:
            self._queued.append((kind, event))

    def _dispatch(self, kind: str, event: JsObject) -> None:
        if self._record is not None:
            _keep(self._deliver_hibernatable(kind, event))
            return
        for listener in list(self._listeners.get(kind, [])):
            try:
                result = listener(event)
            except BaseException as exc:  # a listener's error must not break the socket
                _report(exc, kind)
                continue
            if inspect.isawaitable(result):
                _keep(_guard(result, kind))
        handler = getattr(self, f"on{kind}", None)
        if handler is not None:
            handler(event)
        if kind == "close":
            self._answer_close(event)

    def _answer_close(self, event: JsObject) -> None:
        if not self._sent_close:
            self.close(event.get("code", 1000), event.get("reason", ""))
        self.readyState = CLOSED
        self._finished()

    async def _deliver_hibernatable(self, kind: str, event: JsObject) -> None:
        from flarebind.runtime.sdk.calling import relaxed_call

        record = self._record
        if kind == "message" and record.auto_response is not None and event.data == record.auto_response.request:
            import datetime

            self._auto_response_at = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
            self.send(record.auto_response.response)  # answered without waking the object
            return
        name = {"message": "webSocketMessage", "close": "webSocketClose", "error": "webSocketError"}[kind]

        async def call(instance: Any) -> None:
            handler = getattr(instance, name, None)
            if handler is None:
                return
            if kind == "message":
                args: tuple[Any, ...] = (self, event.data)
            elif kind == "close":
                args = (self, event.code, event.reason, event.wasClean)
            else:
                args = (self, event.get("error"))
            result = relaxed_call(handler, args)
            if inspect.isawaitable(result):
                await result

        try:
            await record.deliver(call)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            record.namespace.host.log_error(exc, f"{name}() of Durable Object {record.namespace.class_name}")
        if kind == "close":
            self._answer_close(event)

    def _finished(self) -> None:
        if self._record is not None and self in self._record.sockets:
            self._record.sockets.remove(self)
        if self._pinned is not None:
            self._pinned.live_sockets -= 1
            self._pinned.schedule_eviction()
            self._pinned = None

    def _drop(self) -> None:
        """The owner is going away (runtime disposed): close without ceremony."""
        self._record = None
        if self.readyState != CLOSED:
            self.close(1001, "Durable Object is shutting down")

    # -- hibernation attachments ----------------------------------------------------------------------------------

    def serializeAttachment(self, value: Any) -> None:
        from flarebind.runtime.durable_objects import v8

        data = v8.serialize(value)
        if len(data) > MAX_ATTACHMENT:
            raise JsException(
                f"A WebSocket attachment cannot be larger than {MAX_ATTACHMENT} bytes (got {len(data)}).",
                name="Error",
            )
        self._attachment = data

    def deserializeAttachment(self) -> Any:
        from flarebind.runtime.durable_objects import v8

        return None if self._attachment is None else v8.deserialize(self._attachment)

    serialize_attachment, deserialize_attachment = serializeAttachment, deserializeAttachment

    def __repr__(self) -> str:
        return f"<WebSocket readyState={self.readyState}{' ' + self.url if self.url else ''}>"


def _payload(message: Any) -> Any:
    if isinstance(message, str):
        return message
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    buffer = getattr(message, "buffer", None)
    if isinstance(buffer, (bytes, bytearray)):
        return bytes(buffer)
    raise TypeError(f"WebSocket send() takes a string or bytes, not {type(message).__name__}")


async def _guard(awaitable: Any, kind: str) -> None:
    try:
        await awaitable
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        _report(exc, kind)


def _report(exc: BaseException, kind: str) -> None:
    import traceback

    from flarebind.runtime.durable_objects.host import DurableObjectAbort

    if isinstance(exc, DurableObjectAbort):
        return  # ctx.abort() from a listener: the object is already reset
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    print(f"✘ [ERROR] Uncaught exception in a WebSocket {kind} listener:\n{text}", flush=True)


class WebSocketPair:
    """``WebSocketPair.new()``: ``[client, server]`` (also ``pair[0]``, ``pair[1]``, ``object_values()``)."""

    def __init__(self) -> None:
        client, server = WebSocket(), WebSocket()
        client._peer, server._peer = server, client
        self._ends = (client, server)

    @classmethod
    def new(cls) -> WebSocketPair:
        return cls()

    def __getitem__(self, index: Any) -> WebSocket:
        return self._ends[int(index)]

    def __iter__(self) -> Any:
        return iter(self._ends)

    def object_values(self) -> list[WebSocket]:
        return list(self._ends)

    def to_py(self) -> dict[str, WebSocket]:
        return {"0": self._ends[0], "1": self._ends[1]}


class WebSocketRequestResponsePair:
    """For ``ctx.setWebSocketAutoResponse``: a message that gets ``response`` without waking the object."""

    def __init__(self, request: str, response: str) -> None:
        self.request = str(request)
        self.response = str(response)

    @classmethod
    def new(cls, request: str, response: str) -> WebSocketRequestResponsePair:
        return cls(request, response)


Listener = Callable[[JsObject], Any]
