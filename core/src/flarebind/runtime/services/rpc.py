"""Values across a service-binding RPC call between Python Workers, as the Python SDK maps them (workers-py
``rpc.py``): what structured clone carries is copied (dicts arrive as attribute dicts, bytes as ``memoryview``,
datetimes at millisecond precision), functions become callable stubs, ``Request``/``Response`` pass as they are;
tuples and bytearrays are a ``TypeError`` before sending, other objects a ``DataCloneError``."""

from __future__ import annotations

import datetime as _dt
import inspect
from typing import Any

from flarebind.jsobject import JsObject

RESERVED = ("fetch", "connect", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor")


class DataCloneError(TypeError):
    """An object RPC cannot serialise (JS ``DataCloneError``)."""


def _passthrough(value: Any) -> bool:
    from flarebind.runtime.sdk.request import JsRequest, Request
    from flarebind.runtime.sdk.response import JsResponse, Response

    return isinstance(value, (JsRequest, Request, JsResponse, Response))


def clone(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        raise TypeError("Cannot send a tuple over RPC: use a list")
    if isinstance(value, bytearray):
        raise TypeError("Cannot send a bytearray over RPC: use bytes")
    if isinstance(value, list):
        return [clone(v) for v in value]
    if isinstance(value, dict):
        out = JsObject()
        for k, v in value.items():
            if not isinstance(k, str):
                raise DataCloneError(f"Cannot send a dict with a {type(k).__name__} key over RPC: keys must be str")
            out[k] = clone(v)
        return out
    if isinstance(value, (set, frozenset)):
        return {clone(v) for v in value}
    if isinstance(value, (bytes, memoryview)):
        return memoryview(bytes(value))
    if isinstance(value, _dt.datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, BaseException):
        return clone_error(value)
    if inspect.iscoroutine(value):
        value.close()
        raise TypeError("Cannot send an un-awaited coroutine over RPC: await it first")
    if _passthrough(value):
        return value
    if inspect.isfunction(value) or inspect.ismethod(value) or inspect.isbuiltin(value):
        return _stub(value)
    raise DataCloneError(
        f'Could not serialize object of type "{type(value).__name__}". This type does not support serialization.'
    )


def clone_error(exc: BaseException) -> BaseException:
    """An error as the caller receives it: built-in types keep their type, others become ``Exception``; only the
    message crosses; ``remote`` is true."""
    kind = type(exc)
    message = str(exc)
    if kind.__module__ == "builtins" and issubclass(kind, Exception):
        try:
            copy = kind(message)
        except Exception:
            copy = Exception(message)
    else:
        copy = Exception(message)
    copy.remote = True  # type: ignore[attr-defined]
    return copy


def _stub(fn: Any) -> Any:
    async def call_back(*args: Any) -> Any:
        result = fn(*[clone(a) for a in args])
        if inspect.isawaitable(result):
            result = await result
        return clone(result)

    call_back.__name__ = getattr(fn, "__name__", "stub")
    return call_back
