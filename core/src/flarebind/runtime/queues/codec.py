"""Queue message content types: how a body is checked, stored and handed to the consumer.

``json`` (the default from compatibility date 2024-03-18, ``queues_json_messages``) and ``v8`` (the default before)
both accept structured values; ``v8`` keeps bytes, dates and sets (:mod:`flarebind.runtime.serial`), ``json`` only
what JSON can say. ``text`` needs a ``str``, ``bytes`` a bytes-like value (delivered as ``memoryview``).
"""

from __future__ import annotations

import json
from typing import Any

from flarebind.runtime import serial

CONTENT_TYPES = ("text", "bytes", "json", "v8")
# built once (json.dumps with arguments builds an encoder per call); NaN/Infinity are not JSON (JSON.stringify: null)
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def js_typeof(value: Any) -> str:
    if value is None:
        return "object"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"


def default_content_type(compat: Any) -> str:
    return "json" if (compat.date and compat.date >= "2024-03-18") or "queues_json_messages" in compat.flags else "v8"


def content_type_of(value: Any, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value.lower() not in CONTENT_TYPES:
        raise TypeError(f"Unsupported queue message content type: {value}")
    return value.lower()


def encode(body: Any, content_type: str) -> bytes:
    if content_type == "text":
        if not isinstance(body, str):
            raise TypeError(f'Content Type "text" requires a value of type string, but received: {js_typeof(body)}')
        return body.encode()
    if content_type == "bytes":
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(
                f'Content Type "bytes" requires a value of type ArrayBufferView, but received: {js_typeof(body)}'
            )
        return bytes(body)
    if content_type == "json":
        try:
            return _JSON.encode(serial.plain_json(body)).encode()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Message body could not be serialised as JSON: {exc}") from None
    try:
        return serial.dumps(body).encode()
    except serial.NotSerialisable as exc:
        raise TypeError(f"Message body could not be serialised: {exc}") from None


def decode(data: bytes, content_type: str) -> Any:
    if content_type == "text":
        return data.decode()
    if content_type == "bytes":
        return memoryview(data)
    if content_type == "json":
        return serial.js_dicts(json.loads(data.decode()))
    return serial.loads(data.decode())
