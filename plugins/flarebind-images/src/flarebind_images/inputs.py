"""What ``info`` and ``input`` accept: whatever a Worker has at hand, read to bytes with a size cap.

A ``ReadableStream`` (a request body), an R2 object body, a ``Request``/``Response`` (their body), an async
iterator or iterable of byte chunks, a binary file object, or a bytes-like. ``{encoding: "base64"}`` decodes
base64 text first, as the runtime's ``createBase64DecoderTransformStream`` does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterable, Iterable
from typing import Any

from flarebind_images.engine import MAX_INPUT_BYTES
from flarebind_images.errors import NOT_AN_IMAGE, TOO_LARGE, EngineError

_BYTES_LIKE = (bytes, bytearray, memoryview)


def _too_large() -> EngineError:
    return EngineError(TOO_LARGE, f"The image is larger than the {MAX_INPUT_BYTES // (1024 * 1024)} MB limit")


async def read_input(value: Any, options: Any = None) -> bytes:
    data = await _read(value)
    encoding = (options or {}).get("encoding") if isinstance(options, dict) else None
    if encoding == "base64":
        try:
            data = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise EngineError(NOT_AN_IMAGE, "The input is not valid base64") from None
    return data


async def _read(value: Any) -> bytes:
    if isinstance(value, _BYTES_LIKE):
        data = bytes(value)
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large()
        return data
    if isinstance(value, str):
        raise TypeError("The image must be a ReadableStream or bytes, not a string")
    if value is None:
        raise TypeError("The image must be a ReadableStream or bytes, not None")
    body = getattr(value, "body", None)
    if body is not None and not isinstance(value, AsyncIterable) and isinstance(body, (AsyncIterable, *_BYTES_LIKE)):
        return await _read(body)  # a Request, Response or R2 object: its body
    parts: list[bytes] = []
    size = 0

    def add(chunk: Any) -> None:
        nonlocal size
        if isinstance(chunk, str):
            raise TypeError("The image stream must yield bytes, not str")
        size += len(chunk)
        if size > MAX_INPUT_BYTES:
            raise _too_large()
        parts.append(bytes(chunk))

    if isinstance(value, AsyncIterable):
        async for chunk in value:
            add(chunk)
    elif hasattr(value, "read") and callable(value.read):
        while chunk := value.read(1 << 20):
            add(chunk)
    elif isinstance(value, Iterable):
        for chunk in value:
            add(chunk)
    else:
        raise TypeError(f"The image must be a ReadableStream or bytes, not {type(value).__name__}")
    return b"".join(parts)
