"""Entrypoint base classes and the legacy ``@handler`` decorator."""

from __future__ import annotations

import functools
from typing import Any

from flarebind.errors import NotSimulatedError


class WorkerEntrypoint:
    """``class Default(WorkerEntrypoint)``: one instance per event, ``self.env`` / ``self.ctx`` set before the call."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Durable Object classes may be defined (and exported); running them locally is not simulated yet."""

    def __init__(self, ctx: Any, env: Any) -> None:
        raise NotSimulatedError(
            f"{type(self).__name__}: Durable Objects are not simulated by flarebind yet; "
            "a Worker that defines one still loads, but its instances cannot run locally."
        )


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
