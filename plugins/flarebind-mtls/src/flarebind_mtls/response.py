"""The ``Response`` an mTLS ``fetch`` returns: status, headers and a body streamed from the origin, read once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from flarebind.plugin import JsException, js_object

BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."


class Headers:
    """Case-insensitive, multi-valued headers; ``get`` joins repeats with ", " as the Fetch API does."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = [(k.lower(), v) for k, v in pairs]

    def get(self, name: str, default: Any = None) -> Any:
        values = [v for k, v in self._pairs if k == name.lower()]
        return ", ".join(values) if values else default

    def has(self, name: str) -> bool:
        return any(k == name.lower() for k, _ in self._pairs)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return str(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def __iter__(self) -> Any:
        return iter(self._pairs)


class BodyStream:
    """The response body as an async iterator of ``bytes`` (a ReadableStream's shape); closes the connection."""

    def __init__(self, chunks: AsyncIterator[bytes], close: Any, errors: Any) -> None:
        self._chunks = chunks
        self._close = close
        self._errors = errors
        self.locked = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self.locked:
            raise TypeError("This ReadableStream is currently locked to a reader.")
        self.locked = True
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        except Exception as exc:
            mapped = self._errors(exc)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            await self._close()

    async def cancel(self) -> None:
        self.locked = True
        await self._close()


class FetchResponse:
    """``Response`` from ``env.CERT.fetch``: ``status``, ``statusText``, ``headers``, ``ok``, ``url``,
    ``redirected``, ``body`` and the one-shot readers ``text()`` / ``json()`` / ``bytes()`` / ``arrayBuffer()``."""

    def __init__(
        self,
        status: int,
        status_text: str,
        headers: list[tuple[str, str]],
        body: BodyStream | None,
        url: str,
        redirected: bool,
    ) -> None:
        self.status = status
        self.statusText = status_text
        self.headers = Headers(headers)
        self.body = body
        self.url = url
        self.redirected = redirected

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.url}>"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def bodyUsed(self) -> bool:
        return self.body is not None and self.body.locked

    async def bytes(self) -> bytes:
        if self.body is None:
            return b""
        if self.body.locked:
            raise TypeError(BODY_USED)
        return b"".join([chunk async for chunk in self.body])

    arrayBuffer = bytes

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", "replace")

    async def json(self) -> Any:
        text = await self.text()
        try:
            return js_object(json.loads(text))
        except ValueError:
            raise JsException(f'Unexpected token in JSON: "{text[:32]}"', "SyntaxError") from None
