"""Structured-clone-like values on disk for Workflows and Queues: JSON, with tags for what JSON cannot say.

Step outputs, event payloads and queue bodies cross a serialisation boundary in Cloudflare (V8 structured clone),
so what a Worker stores must be representable: ``None``, bools, numbers, strings, lists, dicts with string keys,
bytes (arrive as ``memoryview``, as the SDK delivers ArrayBuffers), ``datetime`` (millisecond precision) and sets.
Anything else raises :class:`NotSerialisable`. Tags are single-key dicts ``{"\\u0000<tag>": value}``, a key no
user JSON produces.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from typing import Any

from flarebind.jsobject import JsObject

_TAG = "\u0000"
# one encoder, built once: json.dumps with arguments builds a new encoder per call (several µs each)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class NotSerialisable(TypeError):
    """A value that cannot cross Cloudflare's structured-clone boundary."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return {_TAG + "float": repr(value)}
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise NotSerialisable(f"dict keys must be strings, got {type(k).__name__}")
            out[k] = _encode(v)
        return out
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        # the Python SDK rejects tuples before sending (python_to_rpc)
        raise NotSerialisable("tuple is not supported; use a list")
    if isinstance(value, (bytes, memoryview)):
        return {_TAG + "bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, bytearray):
        raise NotSerialisable("bytearray is not supported; use bytes")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return {_TAG + "date": int(value.timestamp() * 1000)}
    if isinstance(value, (set, frozenset)):
        return {_TAG + "set": [_encode(v) for v in value]}
    raise NotSerialisable(f"{type(value).__name__} is not serialisable")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key.startswith(_TAG):
                tag = key[1:]
                if tag == "bytes":
                    return memoryview(base64.b64decode(inner))
                if tag == "date":
                    return _dt.datetime.fromtimestamp(inner / 1000, tz=_dt.timezone.utc)
                if tag == "set":
                    return {_decode(v) for v in inner}
                if tag == "float":
                    return float(inner)
        return JsObject({k: _decode(v) for k, v in value.items()})
    return value


def dumps(value: Any) -> str:
    """``value`` as text; raises :class:`NotSerialisable` for what structured clone would reject."""
    return _ENCODER.encode(_encode(value))


def loads(text: str | None) -> Any:
    """The value :func:`dumps` wrote (dicts come back as attribute dicts, bytes as ``memoryview``)."""
    if text is None:
        return None
    return _decode(json.loads(text))


def plain(value: Any) -> Any:
    """``value`` as plain JSON data (for APIs and the CLI): bytes as base64 text, dates as ISO strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return value


def plain_json(value: Any) -> Any:
    """``value`` checked for ``JSON.stringify``: tuples and non-JSON types raise ``TypeError`` as the SDK would."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"dict keys must be strings, got {type(k).__name__}")
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v) for v in value]
    if isinstance(value, tuple):
        raise TypeError("tuple is not supported; use a list")
    if isinstance(value, _dt.datetime):
        return value.isoformat()  # JSON.stringify(Date) gives its ISO string
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def js_dicts(value: Any) -> Any:
    """Parsed JSON with dicts as attribute dicts (how the SDK hands JS objects to Python)."""
    if isinstance(value, dict):
        return JsObject({k: js_dicts(v) for k, v in value.items()})
    if isinstance(value, list):
        return [js_dicts(v) for v in value]
    return value
