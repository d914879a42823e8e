"""Smaller ``workers`` names: module-level ``env`` / ``wait_until``, ``patch_env``, RPC conversions, JS imports."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

from flarebind.jsobject import JsObject, js_object
from flarebind.runtime.sdk.context import current_ctx, current_env, wait_until


class NonRetryableError(Exception):
    """Raised in a Workflow step to stop retries."""


def module_attribute(name: str) -> Any:
    if name == "env":
        env = current_env.get()
        if env is None:
            raise RuntimeError("workers.env is only available while a Worker is loaded by the runtime")
        return env
    if name in ("wait_until", "waitUntil"):
        return wait_until
    raise AttributeError(f"module 'workers' has no attribute {name!r}")


@contextlib.contextmanager
def patch_env(d: dict[str, Any] | None = None, **kwargs: Any) -> Iterator[Any]:
    """Override env values for the duration of the block (JS ``withEnv``)."""
    env = current_env.get()
    overrides = {**(d or {}), **kwargs}
    patched = _PatchedEnv(env, overrides)
    token = current_env.set(patched)
    try:
        yield patched
    finally:
        current_env.reset(token)


class _PatchedEnv:
    def __init__(self, env: Any, overrides: dict[str, Any]) -> None:
        self._env = env
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._env, name)

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)


def python_to_rpc(value: Any) -> Any:
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"Unsupported type in RPC: {type(value).__name__}")
    if hasattr(value, "__await__"):
        raise TypeError("Cannot send an awaitable over RPC; await it first")
    if isinstance(value, dict):
        return JsObject({k: python_to_rpc(v) for k, v in value.items()})
    if isinstance(value, list):
        return [python_to_rpc(v) for v in value]
    js = getattr(value, "js_object", None)
    return js if js is not None else value


def python_from_rpc(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return memoryview(bytes(value))
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return js_object(value)


class _CloudflareWorkersModule:
    """``import_from_javascript("cloudflare:workers")``: ``env`` and ``waitUntil``."""

    @property
    def env(self) -> Any:
        return module_attribute("env")

    @staticmethod
    def waitUntil(awaitable: Any) -> None:
        ctx = current_ctx.get()
        if ctx is None:
            raise RuntimeError("waitUntil() called outside a request handler")
        ctx.waitUntil(awaitable)


def import_from_javascript(name: str) -> Any:
    if name == "cloudflare:workers":
        return _CloudflareWorkersModule()
    if name == "cloudflare:sockets":
        raise ImportError("cloudflare:sockets (TCP connect) is not simulated by flarebind yet")
    raise ImportError(f"Cannot import {name!r}: flarebind provides only 'cloudflare:workers'")
