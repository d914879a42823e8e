"""Entrypoint base classes and the legacy ``@handler`` decorator."""

from __future__ import annotations

import functools
from typing import Any


class WorkerEntrypoint:
    """``class Default(WorkerEntrypoint)``: one instance per event, ``self.env`` / ``self.ctx`` set before the call."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """``class Counter(DurableObject)``: one instance per object id, run by ``flarebind.runtime.durable_objects``.

    ``self.ctx`` is the object's ``DurableObjectState`` (id, storage, WebSocket hibernation), ``self.env`` the env.
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkflowEntrypoint:
    """``class MyWorkflow(WorkflowEntrypoint)`` with ``async def run(self, event, step)``; one instance per run,
    driven by flarebind.runtime.workflows (``step`` is its Python step API)."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: Any) -> Any:
    """``@handler`` for legacy ``on_*`` functions: a JS request becomes ``workers.Request``."""
    from flarebind.runtime.sdk.calling import relaxed_call
    from flarebind.runtime.sdk.request import JsRequest, Request

    @functools.wraps(func)
    async def wrapper(*args: Any) -> Any:
        args_list = list(args)
        if args_list and isinstance(args_list[0], JsRequest):
            args_list[0] = Request(args_list[0])
        result = relaxed_call(func, tuple(args_list))
        if hasattr(result, "__await__"):
            result = await result
        return result

    wrapper._flarebind_handler = True  # type: ignore[attr-defined]
    return wrapper
