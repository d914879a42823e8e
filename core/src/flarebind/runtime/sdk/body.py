"""Request and response bodies: bytes in memory or a stream of byte chunks, readable once (JS ``bodyUsed``)."""

from __future__ import annotations

import builtins
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any


class ReadableStream:
    """A JS ``ReadableStream`` of byte chunks: ``async for chunk in stream`` and ``getReader().read()``.

    Streams keep large bodies (R2 objects, uploads) out of memory between the binding and the HTTP server.
    """

    def __init__(self, source: AsyncIterable[bytes] | Iterable[bytes]) -> None:
        self._source = source
        self.locked = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.locked:
            raise TypeError("ReadableStream is locked")
        self.locked = True
        source = self._source
        if hasattr(source, "__aiter__"):
            async for chunk in source:  # type: ignore[union-attr]
                if chunk:
                    yield _chunk_bytes(chunk)
        else:
            for chunk in source:  # type: ignore[union-attr]
                if chunk:
                    yield _chunk_bytes(chunk)

    def getReader(self) -> _Reader:
        return _Reader(self.__aiter__())

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])


class _Reader:
    def __init__(self, iterator: AsyncIterator[bytes]) -> None:
        self._iterator = iterator

    async def read(self) -> Any:
        from flarebind.jsobject import JsObject

        try:
            chunk = await self._iterator.__anext__()
        except StopAsyncIteration:
            return JsObject(done=True, value=None)
        return JsObject(done=False, value=chunk)

    def releaseLock(self) -> None:
        pass


def _chunk_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, str):
        return chunk.encode()
    if hasattr(chunk, "to_bytes") and not isinstance(chunk, int):
        return bytes(chunk.to_bytes())
    return bytes(chunk)


class BodyMixin:
    """Shared by JS Request/Response: the body is ``bytes``, a :class:`ReadableStream`, or ``None``."""

    _body: bytes | ReadableStream | None
    _body_used: bool

    def _init_body(self, body: bytes | ReadableStream | None) -> None:
        self._body = body
        self._body_used = False

    @property
    def body(self) -> ReadableStream | None:
        if self._body is None:
            return None
        if isinstance(self._body, bytes):
            data = self._body
            self._body = ReadableStream([data])
        self._body_used = True  # handing out the stream disturbs the body, as in JS
        return self._body

    @property
    def bodyUsed(self) -> bool:
        return self._body_used

    body_used = bodyUsed

    async def _read(self) -> bytes:
        if self._body_used:
            raise TypeError(
                "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
            )
        self._body_used = True
        body = self._body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        return await body.read_all()

    def _tee_body(self) -> bytes | ReadableStream | None:
        """A copy of the body for ``clone()``; a stream is buffered (dev-time simplicity over memory)."""
        if isinstance(self._body, ReadableStream):
            raise TypeError("flarebind cannot clone a streamed body yet; read it with await .bytes() first")
        return self._body

    async def text(self) -> str:
        return (await self._read()).decode("utf-8", errors="replace")

    async def arrayBuffer(self) -> builtins.bytes:
        return await self._read()

    async def bytes(self) -> bytes:
        return await self._read()

    async def _json(self, **kwargs: Any) -> Any:
        text = await self.text()
        return json.loads(text, **kwargs)

    async def formData(self) -> Any:
        from flarebind.runtime.sdk.blob import parse_form

        return parse_form(await self._read(), self.headers.get("content-type"))  # type: ignore[attr-defined]


class SdkBodyReaders:
    """The SDK's body readers (``workers.Request``, pyodide's ``FetchResponse``) over ``self.js_object``, a JS request
    or response; reading a used body raises ``OSError`` there, not JS's ``TypeError``."""

    js_object: Any

    async def text(self) -> str:
        return await _checked(self.js_object.text())

    async def _json_body(self, **kwargs: Any) -> Any:
        return await _checked(self.js_object._json(**kwargs))

    json = _json_body

    async def bytes(self) -> builtins.bytes:
        return await _checked(self.js_object.bytes())

    async def buffer(self) -> builtins.bytes:
        return await _checked(self.js_object.arrayBuffer())

    async def blob(self) -> Any:
        from flarebind.runtime.sdk.blob import Blob

        return Blob([await self.bytes()], content_type=self.js_object.headers.get("content-type"))

    async def form_data(self) -> Any:
        return await _checked(self.js_object.formData())


async def _checked(coro: Any) -> Any:
    # the SDK surfaces JS's "body already used" TypeError as OSError
    try:
        return await coro
    except TypeError as exc:
        if "already been used" in str(exc):
            raise OSError(str(exc)) from None
        raise


def body_from_init(body: Any) -> tuple[bytes | ReadableStream | None, str | None]:
    """Turn a JS-style body into (bytes | stream | None, default content type)."""
    from flarebind.runtime.sdk.blob import Blob, FormData
    from flarebind.runtime.sdk.jsapi import URLSearchParams

    if body is None:
        return None, None
    if isinstance(body, str):
        return body.encode(), "text/plain;charset=UTF-8"
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body), None
    if isinstance(body, ReadableStream):
        return body, None
    if isinstance(body, FormData):
        return body._encode()
    if isinstance(body, Blob):
        return body._data, body.type or None
    if isinstance(body, URLSearchParams):
        return str(body).encode(), "application/x-www-form-urlencoded;charset=UTF-8"
    if hasattr(body, "__aiter__") or (hasattr(body, "__iter__") and not isinstance(body, (dict, list, tuple))):
        return ReadableStream(body), None
    raise TypeError(f"Unsupported type in Response: {type(body)}")
