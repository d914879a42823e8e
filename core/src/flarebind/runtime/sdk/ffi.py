"""``pyodide.ffi`` for CPython: ``to_js``, proxies, ``JsProxy``, ``JsException``, ``jsnull``, ``run_sync``."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from flarebind.errors import JsException
from flarebind.jsobject import JsObject
from flarebind.runtime.sdk.jsapi import JsProxy, jsnull

__all__ = [
    "JsException",
    "JsProxy",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "run_sync",
    "to_js",
]


class JsMap(dict):  # type: ignore[type-arg]
    """What bare ``to_js(dict)`` gives in Pyodide: a JS ``Map`` (bindings want plain objects)."""

    def get(self, key: Any, default: Any = None) -> Any:  # JS Map.get
        return super().get(key, default)

    def has(self, key: Any) -> bool:
        return key in self

    def to_py(self) -> dict[Any, Any]:
        return dict(self)


class Uint8Array(bytes):
    """``to_js(bytes)``: a typed array; ``.buffer`` is its ArrayBuffer (bytes here)."""

    @property
    def buffer(self) -> bytes:
        return bytes(self)

    @property
    def byteLength(self) -> int:
        return len(self)

    def to_bytes(self) -> bytes:
        return bytes(self)

    def to_py(self) -> memoryview:
        return memoryview(bytes(self))


def to_js(
    obj: Any,
    *,
    depth: int = -1,
    pyproxies: Any = None,
    create_pyproxies: bool = True,
    dict_converter: Callable[[Any], Any] | None = None,
    default_converter: Any = None,
    eager_converter: Any = None,
) -> Any:
    """Deep-convert Python values the way Pyodide does: dict -> Map (or ``dict_converter(entries)``), list -> Array,
    bytes -> Uint8Array; other values pass through."""
    if depth == 0:
        return obj
    next_depth = depth - 1 if depth > 0 else -1

    def convert(value: Any) -> Any:
        return to_js(value, depth=next_depth, dict_converter=dict_converter)

    if isinstance(obj, (JsObject, JsMap)):
        return obj
    if isinstance(obj, dict):
        entries = [[k, convert(v)] for k, v in obj.items()]
        if dict_converter is not None:
            return dict_converter(entries)
        return JsMap((k, v) for k, v in entries)
    if isinstance(obj, (list, tuple)):
        return [convert(v) for v in obj]
    if isinstance(obj, (bytes, bytearray, memoryview)) and not isinstance(obj, Uint8Array):
        return Uint8Array(bytes(obj))
    return obj


class PyProxy(JsProxy):
    """A Python object handed to JS (``create_proxy``): callable like the object, kept until ``destroy()``."""

    def __init__(self, obj: Any, once: bool = False) -> None:
        self._flarebind_proxied = obj
        self._once = once
        self._destroyed = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._destroyed:
            raise JsException("Object has already been destroyed", name="Error")
        obj = self._flarebind_proxied
        if self._once:
            self._destroyed = True
        return obj(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._flarebind_proxied, name)

    def __await__(self) -> Any:
        return self._flarebind_proxied.__await__()

    def destroy(self) -> None:
        self._destroyed = True


def create_proxy(obj: Any, *, capture_this: bool = False, roundtrip: bool = True) -> PyProxy:
    return PyProxy(obj)


def create_once_callable(obj: Any, *, _may_syncify: bool = False) -> PyProxy:
    return PyProxy(obj, once=True)


def destroy_proxies(proxies: Any) -> None:
    for proxy in proxies:
        proxy.destroy()


_runtime_loop: asyncio.AbstractEventLoop | None = None


def set_runtime_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """The loop that serves requests; ``run_sync`` from a worker thread (WSGI apps) schedules onto it."""
    global _runtime_loop
    _runtime_loop = loop


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def run_sync(awaitable: Awaitable[Any]) -> Any:
    """Block until ``awaitable`` finishes, even when called from code already running inside the event loop.

    Pyodide suspends the WebAssembly stack (JSPI); CPython cannot, so: from a thread without a running loop (a WSGI
    app run in a worker thread) the awaitable runs on the runtime's loop; from inside a running loop it runs to
    completion on a helper thread with its own loop — which nests, so ``run_sync`` is re-entrant.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is None:
        loop = _runtime_loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            return asyncio.run_coroutine_threadsafe(_await(awaitable), loop).result()
        return asyncio.run(_await(awaitable))

    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(asyncio.run, _await(awaitable))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="flarebind-run_sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
