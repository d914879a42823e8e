"""``pyodide.webloop`` for CPython: ``WebLoop``, an asyncio loop that allows the re-entrancy Pyodide allows.

In Python Workers (Pyodide with JSPI, Python 3.13+) ``loop.run_until_complete(...)`` and ``asyncio.run(...)`` may be
called from synchronous code *inside* a running handler: the WebAssembly stack is suspended and the one JS event loop
keeps running. Cloudflare's own SDK tests rely on it (their Workers run pytest, with pytest-asyncio, inside ``fetch``).

CPython cannot suspend a stack, so ``WebLoop`` runs the awaited work *nested*: a ``run_until_complete`` on the loop
that is already running drives that same loop (its ready queue, timers and sockets, so other requests keep being
served) until the future is done, then returns into the caller. A different, not yet running loop started from inside
a handler (``asyncio.new_event_loop()`` under ``asyncio.Runner``) first hands a coroutine to the running WebLoop, as
Pyodide's loops all share one JS loop; anything bound to the new loop runs it in place while the outer loop waits.

``flarebind dev`` serves on a ``WebLoop``; any other program gets the same behaviour by running its loop as one
(``asyncio.run(main(), loop_factory=WebLoop)`` on 3.12+). Nothing here patches the stock loops: a uvloop or a plain
asyncio loop keeps raising "This event loop is already running", as it should outside the runner.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import inspect
from asyncio import events, tasks
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["PyodideFuture", "PyodideTask", "WebLoop", "WebLoopPolicy"]


class PyodideFuture(asyncio.Future):  # type: ignore[type-arg]
    """A Future with the JS promise methods Pyodide adds: ``then``, ``catch``, ``finally_``."""

    def then(
        self, onfulfilled: Callable[[Any], Any] | None, onrejected: Callable[[BaseException], Any] | None = None
    ) -> PyodideFuture:
        result = PyodideFuture(loop=self.get_loop())

        async def settle(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled():
                result.cancel()
                return
            try:
                error = fut.exception()
                if error is not None:
                    if onrejected is None:
                        raise error
                    value = onrejected(error)
                else:
                    value = fut.result() if onfulfilled is None else onfulfilled(fut.result())
                while inspect.isawaitable(value):
                    value = await value
            except Exception as exc:
                result.set_exception(exc)
                return
            result.set_result(value)

        self.add_done_callback(lambda fut: asyncio.ensure_future(settle(fut), loop=self.get_loop()))
        return result

    def catch(self, onrejected: Callable[[BaseException], Any]) -> PyodideFuture:
        return self.then(None, onrejected)

    def finally_(self, onfinally: Callable[[], Any]) -> PyodideFuture:
        def run_then_pass(value: Any) -> Any:
            onfinally()
            return value

        def run_then_raise(error: BaseException) -> Any:
            onfinally()
            raise error

        return self.then(run_then_pass, run_then_raise)


class PyodideTask(asyncio.Task, PyodideFuture):  # type: ignore[type-arg, misc]
    """What ``WebLoop.create_task`` returns: a Task that is also a :class:`PyodideFuture`."""


class _SkippedHandle(asyncio.Handle):
    """Already cancelled, so ``_run_once`` skips it."""

    def __init__(self) -> None:  # no Handle.__init__: it wants a loop; _run_once reads only ``_cancelled``
        self._cancelled = True


_SKIP = _SkippedHandle()


class _ReadyQueue(collections.deque):  # type: ignore[type-arg]
    """The loop's queue of ready callbacks.

    ``BaseEventLoop._run_once`` counts the ready callbacks, then pops that many. A nested run inside one of them drains
    the same queue, so the outer iteration may find it shorter than counted: an empty pop then gives a cancelled
    handle (skipped) instead of raising ``IndexError``.
    """

    def popleft(self) -> Any:
        if not self:
            return _SKIP
        return super().popleft()


class WebLoop(asyncio.SelectorEventLoop):  # type: ignore[misc, valid-type]
    """A selector event loop whose ``run_until_complete`` may be called while a loop is running in this thread."""

    def __init__(self, selector: Any = None) -> None:
        super().__init__(selector)
        self._ready: collections.deque[Any] = _ReadyQueue()

    def create_future(self) -> PyodideFuture:
        return PyodideFuture(loop=self)

    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        if self.get_task_factory() is not None:
            return super().create_task(coro, **kwargs)
        self._check_closed()  # type: ignore[attr-defined]
        return PyodideTask(coro, loop=self, **kwargs)

    def run_until_complete(self, future: Awaitable[Any]) -> Any:
        running = events._get_running_loop()
        if running is None:
            return super().run_until_complete(future)
        if running is self:
            return self._run_nested(future)
        if isinstance(running, WebLoop) and _unbound(future, self):
            # Pyodide's loops all run on the one JS loop: work handed to a fresh loop runs on the running one
            return running._run_nested(future)
        # bound to this loop: run it here and now; the outer loop resumes when it is done
        events._set_running_loop(None)
        try:
            return super().run_until_complete(future)
        finally:
            events._set_running_loop(running)

    def _run_nested(self, awaitable: Awaitable[Any]) -> Any:
        """Drive this (running) loop from inside one of its callbacks until ``awaitable`` is done."""
        future = asyncio.ensure_future(awaitable, loop=self)
        # the task whose step called us stays "current" otherwise, and asyncio refuses to step any other task
        current = tasks.current_task(self)
        if current is not None:
            tasks._leave_task(self, current)
        try:
            while not future.done():
                self._run_once()  # type: ignore[attr-defined]
        finally:
            if current is not None:
                tasks._enter_task(self, current)
        return future.result()


def _unbound(future: Any, loop: asyncio.AbstractEventLoop) -> bool:
    """A coroutine (or an awaitable not tied to ``loop``) that can run on any loop."""
    if asyncio.isfuture(future):
        return future.get_loop() is not loop
    return True


class WebLoopPolicy(asyncio.DefaultEventLoopPolicy):  # type: ignore[misc, valid-type, name-defined]
    """An event loop policy whose new loops are :class:`WebLoop` s."""

    _loop_factory = WebLoop


_original_run = asyncio.run


@functools.wraps(_original_run)
def _run(main: Any, *, debug: bool | None = None, **kwargs: Any) -> Any:
    """``asyncio.run`` as Pyodide patches it: inside a running WebLoop it runs ``main`` there, nested."""
    running = events._get_running_loop()
    if isinstance(running, WebLoop) and not kwargs.get("loop_factory"):
        return running.run_until_complete(main)
    return _original_run(main, debug=debug, **kwargs)


_original_runner_run = getattr(asyncio, "Runner", None) and asyncio.Runner.run


def _runner_run(self: Any, coro: Any, *, context: Any = None) -> Any:
    """``asyncio.Runner.run`` inside a running WebLoop: the coroutine runs there, nested, in ``context``.

    (pytest-asyncio drives async fixtures through a Runner; in Pyodide its loop is another WebLoop on the one JS loop.)
    """
    running = events._get_running_loop()
    if not isinstance(running, WebLoop):
        return _original_runner_run(self, coro, context=context)
    self._lazy_init()
    return running._run_nested(running.create_task(coro, context=context))


_original_runner_close = getattr(asyncio, "Runner", None) and asyncio.Runner.close


def _runner_close(self: Any) -> None:
    """``asyncio.Runner.close`` inside a running WebLoop: the runner's own loop (any kind: it was made at
    ``__enter__`` by whatever policy was current) winds down in place while the outer loop waits."""
    running = events._get_running_loop()
    if not isinstance(running, WebLoop):
        return _original_runner_close(self)
    events._set_running_loop(None)
    try:
        return _original_runner_close(self)
    finally:
        events._set_running_loop(running)


_installed = 0


def install_reentrancy() -> None:
    """While a runtime is active: ``asyncio.run`` and ``asyncio.Runner.run`` inside a handler on a WebLoop nest,
    as Pyodide makes them (other loops are not affected: the patches defer to the originals there)."""
    global _installed
    _installed += 1
    asyncio.run = _run
    if _original_runner_run is not None:
        asyncio.Runner.run = _runner_run  # type: ignore[method-assign]
        asyncio.Runner.close = _runner_close  # type: ignore[method-assign]


def uninstall_reentrancy() -> None:
    global _installed
    _installed = max(0, _installed - 1)
    if _installed == 0:
        asyncio.run = _original_run
        if _original_runner_run is not None:
            asyncio.Runner.run = _original_runner_run  # type: ignore[method-assign]
            asyncio.Runner.close = _original_runner_close  # type: ignore[method-assign]
