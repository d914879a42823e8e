"""JSON with tags: how Python values cross the proxy wire protocol (docs/remote-protocol.md, "Values").

JSON alone cannot carry bytes, dates, maps, ``undefined``, big integers, non-finite numbers, requests/responses or
a stream, so those travel as one-key objects whose key starts with ``$``. A plain object that itself has a key
starting with ``$`` is wrapped in ``{"$object": {...}}`` so it is never mistaken for a tag.
"""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterable, Iterable
from datetime import datetime, timezone
from typing import Any

import attrs

from flarebind.jsobject import JsObject

MAX_SAFE_INTEGER = 2**53 - 1


class _Undefined:
    """JS ``undefined`` where it differs from ``null`` (an omitted optional argument, an absent property)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()


@attrs.define
class StreamArg:
    """The one streamed request body of a call, placed where the value goes in the arguments.

    ``source`` is bytes, a sync or async iterable of bytes, or a binary file object. ``length`` (bytes) is sent
    so the proxy can hand the binding a stream of known length (R2 requires one); ``None`` means unknown.
    """

    source: Any
    length: int | None = None


@attrs.define
class Pipeline:
    """A value built on the proxy by applying ``calls`` to the binding (e.g. a D1 statement inside ``batch``)."""

    calls: list[dict[str, Any]]


@attrs.define
class Ref:
    """A value saved earlier in the same request under ``name`` (an op with ``"save": name``)."""

    name: str


@attrs.define
class WireRequest:
    """A Fetch API ``Request`` to build on the proxy (service binding ``fetch``)."""

    url: str
    method: str = "GET"
    headers: list[tuple[str, str]] = attrs.field(factory=list)
    body: Any = None  # None, bytes, str or a StreamArg
    redirect: str | None = None


@attrs.define
class WireHeaders:
    """A Fetch API ``Headers`` object to build on the proxy (R2 accepts one for onlyIf, range, httpMetadata)."""

    pairs: list[tuple[str, str]]


@attrs.define
class WireBlob:
    """A ``Blob`` returned through the proxy: ``body`` is its byte stream."""

    type: str
    size: int | None
    body: Any


@attrs.define
class WireResponse:
    """A Fetch API ``Response`` returned through the proxy; ``body`` is bytes, a stream or None."""

    status: int
    status_text: str
    headers: list[tuple[str, str]]
    body: Any


def encode(value: Any, streams: list[StreamArg] | None = None) -> Any:
    """Turn a Python value into tagged JSON; a :class:`StreamArg` is appended to ``streams`` (at most one)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        return {"$bigint": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$number": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, _Undefined):
        return {"$undefined": True}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return {"$date": value.timestamp() * 1000}
    if isinstance(value, StreamArg):
        if streams is None:
            raise TypeError("a stream cannot be sent here")
        if streams:
            raise TypeError("the flarebind proxy protocol carries at most one streamed body per call")
        streams.append(value)
        return {"$stream": 0}
    if isinstance(value, Pipeline):
        return {"$pipeline": [encode_op(op, streams) for op in value.calls]}
    if isinstance(value, Ref):
        return {"$ref": value.name}
    if isinstance(value, WireHeaders):
        return {"$headers": [[str(k), str(v)] for k, v in value.pairs]}
    if isinstance(value, WireRequest):
        body = value.body
        if isinstance(body, str):
            body = body.encode()
        out: dict[str, Any] = {
            "url": value.url,
            "method": value.method,
            "headers": [list(h) for h in value.headers],
            "body": encode(body, streams),
        }
        if value.redirect:
            out["redirect"] = value.redirect
        return {"$request": out}
    if isinstance(value, dict):
        encoded = {str(k): encode(v, streams) for k, v in value.items() if not isinstance(v, _Undefined)}
        if any(k.startswith("$") for k in encoded):
            return {"$object": encoded}
        return encoded
    if isinstance(value, (list, tuple)):
        return [encode(v, streams) for v in value]
    if isinstance(value, (set, frozenset)):
        return [encode(v, streams) for v in value]
    raise TypeError(f"cannot send a value of type {type(value).__name__} to a remote binding")


def encode_op(op: dict[str, Any], streams: list[StreamArg] | None = None) -> dict[str, Any]:
    out = dict(op)
    if "args" in op:
        args = list(op["args"])
        # trailing undefined arguments are dropped so `get(key)` is not `get(key, undefined)` for bindings that
        # check the argument count
        while args and isinstance(args[-1], _Undefined):
            args.pop()
        out["args"] = [encode(a, streams) for a in args]
    return out


def decode(value: Any, stream: Any = None) -> Any:
    """Turn tagged JSON from the proxy into Python values (objects become :class:`JsObject`)."""
    if isinstance(value, list):
        return [_none_if_undefined(decode(v, stream)) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        # a JS number beyond the safe range is a float to Python (as Pyodide converts it); BigInts come tagged
        return float(value)
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key.startswith("$"):
            return _decode_tag(key, inner, stream)
    return _decode_object(value, stream)


def _decode_object(value: dict[str, Any], stream: Any) -> JsObject:
    out = JsObject()
    for k, v in value.items():
        d = decode(v, stream)
        if isinstance(d, _Undefined):
            continue  # an absent property, as `"k" in obj` would be false for JSON-shaped results
        out[k] = d
    return out


def _none_if_undefined(v: Any) -> Any:
    return None if isinstance(v, _Undefined) else v


def _decode_tag(key: str, inner: Any, stream: Any) -> Any:
    if key == "$bytes":
        return base64.b64decode(inner)
    if key == "$date":
        return datetime.fromtimestamp(inner / 1000, tz=timezone.utc)
    if key == "$undefined":
        return UNDEFINED
    if key == "$map":
        return {_hashable(decode(k, stream)): _none_if_undefined(decode(v, stream)) for k, v in inner}
    if key == "$set":
        return [decode(v, stream) for v in inner]
    if key == "$bigint":
        return int(inner)
    if key == "$number":
        return float(inner.replace("Infinity", "inf"))
    if key == "$object":
        return _decode_object(inner, stream)
    if key == "$stream":
        if stream is None:
            raise RuntimeError("the proxy referred to a stream but sent none")
        return stream
    if key == "$headers":
        return [tuple(h) for h in inner]
    if key == "$response":
        return WireResponse(
            status=inner["status"],
            status_text=inner.get("statusText", ""),
            headers=[tuple(h) for h in inner.get("headers", [])],
            body=decode(inner.get("body"), stream),
        )
    if key == "$blob":
        # a Blob: its bytes are the call's stream; the proxy sends its type and size with it
        return WireBlob(inner.get("type", ""), inner.get("size"), decode(inner.get("body"), stream))
    if key == "$error":
        from flarebind.remote.protocol import error_from_wire

        return error_from_wire(inner)
    if key == "$unsupported":
        return UnsupportedValue(str(inner))
    # an unknown tag from a newer proxy: keep it visible rather than guessing
    return JsObject({key: inner})


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


@attrs.define
class UnsupportedValue:
    """A value the proxy cannot serialize (a function, an RPC stub); ``kind`` names what it was."""

    kind: str


def is_async_iterable(x: Any) -> bool:
    return isinstance(x, AsyncIterable)


def is_sync_iterable(x: Any) -> bool:
    return isinstance(x, Iterable) and not isinstance(x, (bytes, bytearray, memoryview, str, dict))
