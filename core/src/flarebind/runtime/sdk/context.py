"""The execution context (``ctx``) a handler gets, and the per-request state behind module-level SDK names.

``ctx.waitUntil`` work is tracked by the runtime: it keeps running after the response, failures are logged with a
traceback, and ``Runtime.dispose()`` waits for what is still pending.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any

from flarebind.jsobject import JsObject

log = logging.getLogger("flarebind.runtime")

current_env: contextvars.ContextVar[Any] = contextvars.ContextVar("flarebind_current_env", default=None)
current_ctx: contextvars.ContextVar[Any] = contextvars.ContextVar("flarebind_current_ctx", default=None)
# where the running Worker's own fetch() goes instead of the network: an outbound Worker of a dispatch namespace, or a
# Worker Loader's globalOutbound (an async callable taking and returning JS Request/Response; None: the network)
current_outbound: contextvars.ContextVar[Any] = contextvars.ContextVar("flarebind_current_outbound", default=None)


class WaitUntilTracker:
    """Owns the background tasks started with ``waitUntil``; one per runtime."""

    def __init__(self, report: Callable[[str], None] | None = None) -> None:
        self.tasks: set[asyncio.Future[Any]] = set()
        self.failures: list[BaseException] = []
        self._report = report or (lambda text: log.error("%s", text))

    def add(self, awaitable: Any) -> None:
        awaitable = _unwrap_proxy(awaitable)
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"waitUntil() expects an awaitable, got {type(awaitable).__name__}")
        task = asyncio.ensure_future(awaitable)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures.append(exc)
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self._report(f"✘ [ERROR] Uncaught (in promise) in waitUntil():\n{text}")

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for every task (and tasks they start); after ``timeout`` seconds cancel what is left."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self.tasks:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(list(self.tasks), timeout=remaining)
            if pending and deadline is not None and loop.time() >= deadline:
                self._report(f"▲ [WARNING] cancelling {len(pending)} waitUntil() task(s) still running at shutdown")
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return


def _unwrap_proxy(value: Any) -> Any:
    # legacy code passes create_proxy(coro) / create_once_callable(coro)
    inner = getattr(value, "_flarebind_proxied", None)
    return inner if inner is not None else value


class ExecutionContext:
    """``ctx``: ``waitUntil`` / ``wait_until``, ``passThroughOnException``, ``props``."""

    def __init__(self, tracker: WaitUntilTracker, props: Any = None) -> None:
        self._tracker = tracker
        self.props = JsObject(props or {})
        self.pass_through_on_exception = False

    def waitUntil(self, awaitable: Any) -> None:
        self._tracker.add(awaitable)

    wait_until = waitUntil

    def passThroughOnException(self) -> None:
        # there is no origin behind a local Worker; the flag is recorded and exceptions still give a 500
        self.pass_through_on_exception = True


def wait_until(awaitable: Any) -> None:
    """Module-level ``workers.wait_until``: the current request's ``ctx.waitUntil``."""
    ctx = current_ctx.get()
    if ctx is None:
        raise RuntimeError("wait_until() called outside a request handler")
    ctx.waitUntil(awaitable)
