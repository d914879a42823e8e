"""Calling into a Durable Object: value passing (a structured-clone copy, converted as the Python SDK converts) and
method lookup with workerd's errors."""

from __future__ import annotations

import datetime
import inspect
from typing import Any

from flarebind.jsobject import JsObject

RESERVED = frozenset(
    {"fetch", "connect", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor"}
)
NOT_EXTENDED = (
    "The receiving Durable Object does not support RPC, because its class was not declared with `extends "
    "DurableObject`. In order to enable RPC, make sure your class extends the special class `DurableObject`, "
    'which can be imported from the module "cloudflare:workers".'
)


def clone(value: Any) -> Any:
    """A copy of ``value`` as it arrives on the other side of an RPC call (dicts with attribute access, bytes as
    ``memoryview``, naive datetimes); tuples, bytearrays and awaitables are refused as the SDK refuses them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"Unsupported type in RPC: {type(value).__name__}")
    if isinstance(value, (bytes, memoryview)):
        return memoryview(bytes(value))
    if isinstance(value, dict):
        return JsObject({str(k) if not isinstance(k, str) else k: clone(v) for k, v in value.items()})
    if isinstance(value, list):
        return [clone(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {clone(v) for v in value}
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if inspect.isawaitable(value):
        raise TypeError("Cannot send an awaitable over RPC; await it first")
    # Responses, Requests, errors, stubs, callables (RPC function stubs), JS-shaped objects pass by reference
    return value


def resolve_member(instance: Any, name: str) -> Any:
    """The class member ``name`` that RPC may use (a public method or property), or workerd's TypeError."""
    from flarebind.runtime.sdk.entrypoints import DurableObject

    if not isinstance(instance, DurableObject):
        raise TypeError(NOT_EXTENDED)
    if name in RESERVED:
        raise TypeError(f"'{name}' is a reserved method and cannot be called over RPC.")
    static = inspect.getattr_static(type(instance), name, None) if not name.startswith("_") else None
    if (
        static is None
        or isinstance(static, (staticmethod, classmethod))
        or not (inspect.isfunction(static) or isinstance(static, property))
    ):
        raise TypeError(f'The RPC receiver does not implement the method "{name}".')
    return getattr(instance, name)


async def invoke(instance: Any, steps: list[tuple[str, Any]]) -> Any:
    """Follow ``steps`` from the object — ``("get", name)`` and ``("call", args)``, as written in
    ``stub.a.b(x).c(y)`` — awaiting intermediate results, and return the result as the caller receives it."""
    target: Any = instance
    for index, (kind, value) in enumerate(steps):
        if inspect.isawaitable(target):
            target = await target
        if kind == "get":
            target = resolve_member(instance, value) if index == 0 else getattr(target, value)
        else:
            target = target(*[clone(a) for a in value])
    if inspect.isawaitable(target):
        target = await target
    if inspect.isawaitable(target):
        raise TypeError("Cannot send an awaitable over RPC; await it first")
    return clone(target)
