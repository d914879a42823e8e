"""A streamed AI result: what ``run(..., {"stream": True})`` returns, locally and remotely.

In Workers the result is a ``ReadableStream`` of server-sent-event bytes (``data: {"response": "…"}`` lines, then
``data: [DONE]``). :class:`AiStream` is that: ``async for chunk in stream`` yields the bytes, so it works as the body
of a ``Response``; :meth:`events` parses the events for Python code that wants them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any


class AiStream:
    def __init__(self, source: AsyncIterable[bytes], on_close: Any = None) -> None:
        self._source = source
        self._on_close = on_close
        self.locked = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        if self.locked:
            raise TypeError("This ReadableStream is currently locked to a reader.")
        self.locked = True
        try:
            async for chunk in self._source:
                if chunk:
                    yield bytes(chunk)
        finally:
            if self._on_close is not None:
                await self._on_close()

    async def events(self) -> AsyncIterator[Any]:
        """The events' data, parsed: dicts for JSON payloads, the string ``"[DONE]"`` for the terminator."""
        buffer = b""
        async for chunk in self:
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                data = "\n".join(
                    line[5:].lstrip() for line in block.decode("utf-8").splitlines() if line.startswith("data:")
                )
                if not data:
                    continue
                try:
                    yield json.loads(data)
                except ValueError:
                    yield data

    async def text(self) -> str:
        return b"".join([c async for c in self]).decode("utf-8")

    async def bytes(self) -> bytes:
        return b"".join([c async for c in self])


def sse(payload: Any) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"data: {data}\n\n".encode()
