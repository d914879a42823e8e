"""The client side of the proxy wire protocol over HTTP (docs/remote-protocol.md).

One :class:`HttpChannel` per proxy endpoint; it reuses one ``httpx.AsyncClient`` so concurrent binding calls share
pooled keep-alive connections instead of opening one each. ``httpx`` is imported lazily: nothing remote should
cost start-up time unless a binding is remote.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from flarebind.remote.codec import (
    StreamArg,
    decode,
    encode_op,
    is_async_iterable,
    is_sync_iterable,
)
from flarebind.remote.protocol import (
    CALL_PATH,
    FRAME_PREFIX_BYTES,
    FRAME_TYPE,
    INFO_PATH,
    JSON_TYPE,
    MAX_ENVELOPE_BYTES,
    SECRET_HEADER,
    RemoteProtocolError,
    error_from_wire,
)

if TYPE_CHECKING:
    import httpx

# bodies up to this size are read whole so the connection goes back to the pool at once; larger ones stream
EAGER_BODY_BYTES = 256 * 1024
CHUNK = 64 * 1024


class RemoteStream:
    """A streamed body from the proxy: ``async for chunk in stream``, ``await stream.read()``, ``await stream.aclose()``

    While a large body is unread its HTTP connection stays checked out of the pool; read it or close it.
    """

    def __init__(self, first: bytes, rest: AsyncIterator[bytes] | None, response: Any = None) -> None:
        self._first = first
        self._rest = rest
        self._response = response
        self.consumed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        if self.consumed:
            raise TypeError(
                "This ReadableStream is disturbed (has already been read from), and cannot be used as a body."
            )
        self.consumed = True
        try:
            if self._first:
                yield self._first
            if self._rest is not None:
                async for chunk in self._rest:
                    if chunk:
                        yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        return b"".join([c async for c in self])

    async def aclose(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()

    @property
    def fully_buffered(self) -> bool:
        return self._rest is None

    def __del__(self) -> None:
        # an unread large body still holds a pooled connection: give it back when the stream is dropped
        response = self._response
        if response is None:
            return
        try:
            import asyncio

            asyncio.get_running_loop().create_task(response.aclose())
        except RuntimeError:
            pass


class _Reader:
    """Reads exact byte counts from an httpx byte iterator, keeping what is left over."""

    def __init__(self, it: AsyncIterator[bytes]) -> None:
        self._it = it
        self._buf = bytearray()
        self.eof = False

    async def _fill(self, n: int) -> None:
        while len(self._buf) < n and not self.eof:
            try:
                self._buf += await self._it.__anext__()
            except StopAsyncIteration:
                self.eof = True

    async def exactly(self, n: int) -> bytes:
        await self._fill(n)
        if len(self._buf) < n:
            raise RemoteProtocolError("the proxy's response frame ended early")
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    async def up_to(self, n: int) -> bytes:
        await self._fill(n + 1)
        out = bytes(self._buf)
        self._buf.clear()
        return out

    async def rest(self) -> AsyncIterator[bytes]:
        if self._buf:
            data = bytes(self._buf)
            self._buf.clear()
            yield data
        async for chunk in self._it:
            yield chunk


def _stream_length(source: Any) -> int | None:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return len(source)
    if isinstance(source, str):
        return len(source.encode())
    return None


async def _body_chunks(source: Any) -> AsyncIterator[bytes]:
    if source is None:
        return
    if isinstance(source, str):
        yield source.encode()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        yield bytes(source)
    elif hasattr(source, "read") and not is_async_iterable(source):
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            yield chunk
    elif is_async_iterable(source):
        async for chunk in source:
            yield bytes(chunk) if not isinstance(chunk, str) else chunk.encode()
    elif is_sync_iterable(source):
        for chunk in source:
            yield bytes(chunk) if not isinstance(chunk, str) else chunk.encode()
    else:
        raise TypeError(f"cannot stream a body of type {type(source).__name__}")


async def _framed(prefix: bytes, source: Any) -> AsyncIterator[bytes]:
    yield prefix
    async for chunk in _body_chunks(source):
        yield chunk


class CallResult:
    """The outcome of one call: ``result`` and the results of any ``extra`` pipelines."""

    __slots__ = ("extra", "result")

    def __init__(self, result: Any, extra: list[Any]) -> None:
        self.result = result
        self.extra = extra


class HttpChannel:
    """A :class:`flarebind.bindings.context.RemoteChannel` speaking the proxy protocol over HTTP.

    :param base_url: the proxy (or loopback relay) URL; the protocol paths are appended to its path.
    :param headers: sent with every request, e.g. ``{"X-Flarebind-Proxy-Secret": secret}`` for a deployed proxy.
    :param client: an ``httpx.AsyncClient`` to use (not closed by :meth:`aclose`); by default one is made.
    """

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float | None = 300.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.headers = dict(headers or {})
        self._own_client = client is None
        self._client = client
        self._timeout = timeout
        self._transport = transport

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout, connect=30.0),
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=128),
                # the proxy's answers are ours to interpret; a redirect from a service binding must come back as is
                follow_redirects=False,
                trust_env=False,
                transport=self._transport,
            )
        return self._client

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
        self._client = None

    async def __aenter__(self) -> HttpChannel:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def info(self) -> Any:
        """``GET …/__flarebind/v1/info``: protocol version and the proxy's binding names and kinds."""
        response = await self.client.get(self.base_url + INFO_PATH, headers=self.headers)
        if response.status_code != 200:
            raise _protocol_error(response.status_code, response.headers.get("content-type", ""), response.content)
        return response.json()

    async def call(
        self,
        binding: str,
        calls: list[dict[str, Any]],
        body: Any = None,
        *,
        extra: list[list[dict[str, Any]]] | None = None,
    ) -> Any:
        """Apply ``calls`` to the proxy's ``env[binding]`` and return the decoded result.

        ``body`` (bytes, iterable of bytes, file or :class:`StreamArg`) is the call's streamed argument; it replaces
        the one :data:`BODY` placeholder in the arguments (or is referenced by a :class:`StreamArg` in them).
        """
        outcome = await self.call_full(binding, calls, body, extra=extra)
        return outcome.result

    async def call_full(
        self,
        binding: str,
        calls: list[dict[str, Any]],
        body: Any = None,
        *,
        extra: list[list[dict[str, Any]]] | None = None,
    ) -> CallResult:
        if body is not None:
            arg = body if isinstance(body, StreamArg) else StreamArg(body, _stream_length(body))
            calls = _replace_body(calls, arg)
            if extra:
                extra = [_replace_body(p, arg) for p in extra]
        streams: list[StreamArg] = []
        envelope: dict[str, Any] = {"binding": binding, "calls": [encode_op(op, streams) for op in calls]}
        if extra:
            envelope["extra"] = [[encode_op(op, streams) for op in p] for p in extra]
        if streams:
            envelope["stream"] = {
                "length": streams[0].length if streams[0].length is not None else _stream_length(streams[0].source)
            }
        payload = json.dumps(envelope, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()
        headers = dict(self.headers)
        if not streams:
            headers["content-type"] = JSON_TYPE
            request = self.client.build_request("POST", self.base_url + CALL_PATH, content=payload, headers=headers)
        else:
            stream = streams[0]
            prefix = len(payload).to_bytes(FRAME_PREFIX_BYTES, "big") + payload
            headers["content-type"] = FRAME_TYPE
            length = envelope["stream"]["length"]
            if isinstance(stream.source, (bytes, bytearray, memoryview, str)):
                data = stream.source.encode() if isinstance(stream.source, str) else bytes(stream.source)
                content: Any = prefix + data
            else:
                content = _framed(prefix, stream.source)
                if length is not None:
                    headers["content-length"] = str(len(prefix) + length)
            request = self.client.build_request("POST", self.base_url + CALL_PATH, content=content, headers=headers)
        response = await self.client.send(request, stream=True)
        return await self._read_response(response)

    async def _read_response(self, response: httpx.Response) -> CallResult:
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code != 200:
            try:
                data = await response.aread()
            finally:
                await response.aclose()
            raise _protocol_error(response.status_code, ctype, data)
        if ctype == FRAME_TYPE:
            reader = _Reader(response.aiter_bytes().__aiter__())
            try:
                size = int.from_bytes(await reader.exactly(FRAME_PREFIX_BYTES), "big")
                if size > MAX_ENVELOPE_BYTES:
                    raise RemoteProtocolError(f"the proxy sent an envelope of {size} bytes, over the limit")
                envelope = json.loads(await reader.exactly(size))
                first = await reader.up_to(EAGER_BODY_BYTES)
            except BaseException:
                await response.aclose()
                raise
            if reader.eof:
                await response.aclose()
                stream = RemoteStream(first, None)
            else:
                stream = RemoteStream(first, reader.rest(), response)
        else:
            try:
                data = await response.aread()
            finally:
                await response.aclose()
            if ctype != JSON_TYPE:
                raise RemoteProtocolError(
                    f"the proxy answered with content-type {ctype or '(none)'}, not a flarebind protocol response: "
                    f"{data[:200]!r}",
                    response.status_code,
                )
            envelope = json.loads(data)
            stream = None
        if "error" in envelope:
            if stream is not None:
                await stream.aclose()
            raise error_from_wire(envelope["error"])
        result = decode(envelope.get("result"), stream)
        extra = [decode(e, stream) for e in envelope.get("extra", [])]
        if stream is not None and not _contains(result, stream) and not any(_contains(e, stream) for e in extra):
            await stream.aclose()
        return CallResult(_none_if_undefined(result), extra)


def _none_if_undefined(v: Any) -> Any:
    from flarebind.remote.codec import UNDEFINED

    return None if v is UNDEFINED else v


def _contains(value: Any, target: Any) -> bool:
    if value is target:
        return True
    if isinstance(value, dict):
        return any(_contains(v, target) for v in value.values())
    if isinstance(value, list):
        return any(_contains(v, target) for v in value)
    return getattr(value, "body", None) is target


BODY = StreamArg(None)
"""Placeholder for the ``body`` argument of :meth:`HttpChannel.call` inside a call's ``args``."""


def _replace_body(calls: list[dict[str, Any]], arg: StreamArg) -> list[dict[str, Any]]:
    def swap(v: Any) -> Any:
        if v is BODY:
            return arg
        if isinstance(v, list):
            return [swap(x) for x in v]
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        return v

    return [{**op, "args": swap(op["args"])} if "args" in op else op for op in calls]


def _protocol_error(status: int, ctype: str, data: bytes) -> RemoteProtocolError:
    message = None
    if ctype.startswith(JSON_TYPE):
        try:
            message = json.loads(data).get("error", {}).get("message")
        except (ValueError, AttributeError):
            message = None
    if message is None:
        message = data[:500].decode("utf-8", "replace")
    return RemoteProtocolError(f"remote binding proxy answered {status}: {message}", status)


def channel_from_connection_string(connection_string: str, client: httpx.AsyncClient | None = None) -> HttpChannel:
    """A channel to a session's loopback relay: the connection string is the base URL, no extra headers.

    A session being recorded or replayed (:mod:`flarebind.remote.cassette`) has a transport registered under its
    connection string; the cassette module is only consulted once something imported it.
    """
    cassette = sys.modules.get("flarebind.remote.cassette")
    transport = cassette.transport_for(str(connection_string)) if cassette is not None else None
    return HttpChannel(str(connection_string), client=client, transport=transport)


def channel_for_deployed_proxy(url: str, secret: str, client: httpx.AsyncClient | None = None) -> HttpChannel:
    """A channel straight to a proxy worker deployed with ``flarebind remote deploy-proxy``."""
    return HttpChannel(url, headers={SECRET_HEADER: secret}, client=client)


def channel_from_env(environ: Mapping[str, str] | None = None) -> HttpChannel | None:
    """``FLAREBIND_REMOTE_PROXY_URL`` + ``FLAREBIND_REMOTE_PROXY_SECRET`` → a channel, or None when unset."""
    environ = os.environ if environ is None else environ
    url = environ.get("FLAREBIND_REMOTE_PROXY_URL")
    if not url:
        return None
    secret = environ.get("FLAREBIND_REMOTE_PROXY_SECRET")
    if not secret:
        raise RemoteProtocolError("FLAREBIND_REMOTE_PROXY_URL is set but FLAREBIND_REMOTE_PROXY_SECRET is not")
    return channel_for_deployed_proxy(url, secret)
