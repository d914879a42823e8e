"""Generic remote binding objects: any binding type through the proxy worker, with no type-specific code.

``RemoteBinding`` turns ``await env.X.method(*args, **options)`` into one protocol call (keyword arguments become
the JS options object, the last argument). Type plugins (KV, R2, D1) subclass it to shape results exactly like
their local simulations; everything else (service bindings' ``fetch`` and RPC methods, AI, Vectorize, …) uses
:func:`make_generic_remote`, the registry's fallback when no plugin registered a remote adapter.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterable, Iterable
from typing import Any

from flarebind.jsobject import JsObject, js_object
from flarebind.remote.channel import RemoteStream
from flarebind.remote.codec import UNDEFINED, StreamArg, UnsupportedValue, WireRequest, WireResponse

BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
# bytes values at least this large go as the streamed body instead of base64 inside the JSON envelope
STREAM_THRESHOLD = 64 * 1024
SPOOL_MEMORY = 8 * 1024 * 1024


def options_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """JS-style arguments: keyword options merge into (or become) the trailing options object."""
    out = list(args)
    if kwargs:
        opts = {k: v for k, v in kwargs.items() if v is not None}
        if opts and out and out[-1] is None:
            out[-1] = opts  # f(key, None, type=…) is f(key, {type: …})
        elif out and isinstance(out[-1], dict):
            out[-1] = {**out[-1], **opts}
        elif opts:
            out.append(opts)
    while out and out[-1] is None:
        out.pop()  # an omitted optional argument is `undefined`, not `null`
    return out


def shape(value: Any) -> Any:
    """Protocol results as the local simulations return them: JsObject for objects, None for null/undefined."""
    if value is UNDEFINED:
        return None
    if isinstance(value, UnsupportedValue):
        raise TypeError(f"the remote binding returned a {value.kind}, which cannot cross the flarebind proxy")
    if isinstance(value, WireResponse):
        return RemoteResponse(value)
    return js_object(value)


def is_stream_source(value: Any) -> bool:
    """Whether ``value`` is sent as a streamed body (a file, an iterable of bytes, a readable stream)."""
    return (
        isinstance(value, (AsyncIterable, RemoteStream))
        or (
            isinstance(value, Iterable)
            and not isinstance(value, (str, bytes, bytearray, memoryview, dict, list, tuple, set, frozenset))
        )
        or (hasattr(value, "read") and callable(value.read))
    )


def known_length(value: Any) -> int | None:
    """The byte length of a body when it can be told without reading it (bytes, a file's remaining size)."""
    for attr in ("length", "size"):
        n = getattr(value, attr, None)
        if isinstance(n, int):
            return n
    if hasattr(value, "seek") and hasattr(value, "tell"):
        try:
            here = value.tell()
            end = value.seek(0, 2)
            value.seek(here)
            return end - here
        except (OSError, ValueError):
            return None
    return None


async def spool(value: Any) -> StreamArg:
    """Buffer a stream of unknown length (memory, then a temp file) so it can go as a known-length body."""
    f = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - handed on as the body, closed by GC
    if isinstance(value, AsyncIterable):
        async for chunk in value:
            f.write(chunk.encode() if isinstance(chunk, str) else chunk)
    elif hasattr(value, "read"):
        while chunk := value.read(1 << 20):
            f.write(chunk.encode() if isinstance(chunk, str) else chunk)
    else:
        for chunk in value:
            f.write(chunk.encode() if isinstance(chunk, str) else chunk)
    length = f.tell()
    f.seek(0)
    return StreamArg(f, length)


def body_arg(value: Any) -> Any:
    """A put value: small bytes inline, big bytes and streams as the call's streamed body."""
    if isinstance(value, (bytes, bytearray, memoryview)) and len(value) >= STREAM_THRESHOLD:
        return StreamArg(bytes(value), len(value))
    if isinstance(value, RemoteStream):
        return StreamArg(value, None)
    if is_stream_source(value):
        return StreamArg(value, known_length(value))
    return value


class RemoteBinding:
    """A binding reached through the proxy: every attribute is a remote method (or, awaited, a property).

    Calls pipeline like JS promises: ``await env.DISPATCH.get("worker").fetch(request)`` or
    ``await env.SVC.getCounter().increment()`` is one request whose ops run on the proxy in order.
    """

    def __init__(self, name: str, spec: dict[str, Any], channel: Any) -> None:
        self._name = name
        self._spec = spec
        self._channel = channel

    def __repr__(self) -> str:
        return f"<remote {self._spec.get('type', 'binding')} {self._name}>"

    async def _call(self, calls: list[dict[str, Any]], **kw: Any) -> Any:
        return await self._channel.call(self._name, calls, **kw)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMember(self, [], name)


class RemotePending:
    """The not-yet-sent result of a pipeline of ops: await it to run them, or keep chaining."""

    def __init__(self, binding: RemoteBinding, ops: list[dict[str, Any]]) -> None:
        self._binding = binding
        self._ops = ops

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> Any:
        return shape(await self._binding._call(self._ops))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMember(self._binding, self._ops, name)

    def fetch(self, input: Any, init: dict[str, Any] | None = None, **kwargs: Any) -> RemotePending:
        return RemotePending(self._binding, [*self._ops, {"call": "fetch", "args": [request_arg(input, init, kwargs)]}])


class RemoteMember:
    """``target.name``: call it for a method call, or await it for the property's value."""

    def __init__(self, binding: RemoteBinding, ops: list[dict[str, Any]], name: str) -> None:
        self._binding = binding
        self._ops = ops
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> RemotePending:
        op = {"call": self.__name__, "args": options_args(args, kwargs)}
        return RemotePending(self._binding, [*self._ops, op])

    def __await__(self) -> Any:
        return RemotePending(self._binding, [*self._ops, {"get": self.__name__}]).__await__()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMember(self._binding, [*self._ops, {"get": self.__name__}], name)


def request_arg(input: Any, init: dict[str, Any] | None, kwargs: dict[str, Any]) -> WireRequest:
    """A ``fetch(input, init)`` call's arguments as a Request to build on the proxy."""
    init = {**(init or {}), **kwargs}
    url = getattr(input, "url", input)
    method = str(init.get("method") or getattr(input, "method", None) or "GET").upper()
    headers = init.get("headers", getattr(input, "headers", None)) or []
    if hasattr(headers, "items"):
        headers = list(headers.items())
    body = init.get("body")
    if body is None and not isinstance(input, str):
        body = getattr(input, "body", None)
    if isinstance(body, str):
        body = body.encode()
    if body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
        body = StreamArg(body, known_length(body))
    return WireRequest(str(url), method, [(str(k), str(v)) for k, v in headers], body, init.get("redirect"))


class RemoteResponse:
    """A Fetch ``Response`` from a remote service binding (status, headers, and a body read once)."""

    def __init__(self, wire: WireResponse) -> None:
        self.status = wire.status
        self.statusText = wire.status_text
        self.status_text = wire.status_text
        self.headers = _Headers(wire.headers)
        self.body = wire.body if isinstance(wire.body, RemoteStream) else None
        self._data = wire.body if isinstance(wire.body, bytes) else None
        self.bodyUsed = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    async def bytes(self) -> bytes:
        if self.bodyUsed:
            raise TypeError(BODY_USED)
        self.bodyUsed = True
        if self.body is not None:
            return await self.body.read()
        return self._data or b""

    arrayBuffer = bytes

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", "replace")

    async def json(self) -> Any:
        return js_object(json.loads(await self.text()))


class _Headers:
    """Case-insensitive, multi-valued response headers (``get`` joins repeats with ", " as the Fetch API does)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = [(k.lower(), v) for k, v in pairs]

    def get(self, name: str, default: Any = None) -> Any:
        values = [v for k, v in self._pairs if k == name.lower()]
        return ", ".join(values) if values else default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._pairs)


class RemoteFetcher(RemoteBinding):
    """Service bindings (and anything else with ``fetch``): ``fetch`` builds a Request on the proxy."""

    def fetch(self, input: Any, init: dict[str, Any] | None = None, **kwargs: Any) -> RemotePending:
        return RemotePending(self, [{"call": "fetch", "args": [request_arg(input, init, kwargs)]}])


def make_generic_remote(name: str, spec: dict[str, Any], channel: Any) -> RemoteBinding:
    """The fallback remote adapter: any binding type through the proxy's generic call pipeline."""
    return RemoteFetcher(name, spec, channel)


def as_js_object(value: Any) -> JsObject:
    return value if isinstance(value, JsObject) else JsObject(value)
