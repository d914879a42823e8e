"""The ``step`` object ``WorkflowEntrypoint.run`` receives: the Python Workflows step API.

As in the Python Workers SDK: ``@step.do(...)`` decorates a function and returns an async callable that runs the
step when awaited. Two signatures, chosen by the compatibility flag ``python_workflows_implicit_dependencies``:

- legacy: ``step.do(name, depends=None, concurrent=False, config=None)``; the non-``ctx`` parameters receive the
  results of the ``depends`` steps, in order;
- implicit: ``step.do(name=None, *, concurrent=False, config=None)``; the name defaults to the function's, and
  each parameter named after an earlier step function receives that step's result.

A parameter named ``ctx`` receives ``{"step": {"name", "count"}, "attempt", "config"}``. With ``concurrent=True``
dependencies are resolved together (``asyncio.gather``). A dependency's result is memoized for the rest of the run.
``step.sleep``, ``step.sleep_until`` and ``step.wait_for_event`` (and the JS names ``sleepUntil`` /
``waitForEvent``) are the engine's durable waits.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flarebind.runtime.workflows.engine import WorkflowEngine


class WorkflowStep:
    def __init__(self, engine: WorkflowEngine, instance_id: str, *, implicit: bool) -> None:
        self._engine = engine
        self._id = instance_id
        self._counts: dict[str, int] = {}
        self._memo: dict[str, Any] = {}
        self._in_flight: dict[str, asyncio.Task[Any]] = {}
        self.step_closures: dict[str, Any] = {}
        self.do = self._do_implicit if implicit else self._do_legacy

    def _count(self, key: str) -> int:
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]

    # -- step.do ----------------------------------------------------------------------------------------------------

    def _do_legacy(
        self, name: str, depends: list[Any] | None = None, concurrent: bool = False, config: Any = None
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, depends, concurrent, config, implicit=False)

    def _do_implicit(
        self, name: str | None = None, *, concurrent: bool = False, config: Any = None
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, None, concurrent, config, implicit=True)

    def _decorator(
        self, name: str | None, depends: list[Any] | None, concurrent: bool, config: Any, *, implicit: bool
    ) -> Callable[[Callable[..., Any]], Any]:
        def decorate(func: Callable[..., Any]) -> Any:
            step_name = func.__name__ if name is None else name

            async def run_step() -> Any:
                deps = self._dependencies(func, depends, implicit)
                if concurrent:
                    results = list(await asyncio.gather(*(self._resolve(d) for d in deps)))
                else:
                    results = [await self._resolve(d) for d in deps]
                return await self._call(step_name, config, func, results)

            run_step._step_name = step_name  # type: ignore[attr-defined]
            self.step_closures[step_name] = run_step
            return run_step

        return decorate

    def _dependencies(self, func: Callable[..., Any], depends: list[Any] | None, implicit: bool) -> list[Any]:
        params = list(inspect.signature(func).parameters.values())
        if implicit:
            out: list[Any] = []
            for p in params:
                if p.name in self.step_closures:
                    out.append(self.step_closures[p.name])
                elif p.name == "ctx":
                    out.append(p)
                else:
                    raise TypeError(f"Received unexpected parameter {p.name}")
            return out
        others = [p for p in params if p.name != "ctx"]
        if depends is None and others:
            raise TypeError(f"Step has {len(others)} non-ctx parameter(s) but no 'depends' list provided")
        if depends is not None and len(depends) != len(others):
            raise TypeError(
                f"Step declares {len(others)} non-ctx parameter(s) but 'depends' has {len(depends)} item(s)"
            )
        it = iter(depends or [])
        return [p if p.name == "ctx" else next(it) for p in params]

    async def _resolve(self, dep: Any) -> Any:
        if isinstance(dep, inspect.Parameter):
            return dep  # the ctx placeholder, filled in per attempt
        name = getattr(dep, "_step_name", None)
        if name is None:
            raise TypeError(f"depends= items must be step functions decorated with @step.do, got {dep!r}")
        if name in self._memo:
            return self._memo[name]
        if name in self._in_flight:
            return await self._in_flight[name]
        return await dep()

    async def _call(self, name: str, config: Any, func: Callable[..., Any], results: list[Any]) -> Any:
        async def callback(ctx: Any) -> Any:
            args = [ctx if isinstance(r, inspect.Parameter) else r for r in results]
            value = func(*args)
            if inspect.isawaitable(value):
                value = await value
            return value

        # the occurrence count is taken now, before any await, so concurrent steps number deterministically
        count = self._count("do-" + str(name))
        task = asyncio.ensure_future(self._engine.run_step(self._id, name, config, count, callback))
        self._in_flight[name] = task
        try:
            result = await task
            self._memo[name] = result
        finally:
            self._in_flight.pop(name, None)
        return result

    # -- waits ------------------------------------------------------------------------------------------------------

    async def sleep(self, name: str, duration: Any) -> None:
        await self._engine.sleep_for(self._id, name, duration, self._count)

    async def sleep_until(self, name: str, timestamp: Any) -> None:
        await self._engine.sleep_until(self._id, name, timestamp, self._count)

    sleepUntil = sleep_until

    async def wait_for_event(self, name: str, event_type: Any = None, /, timeout: Any = "24 hours") -> Any:
        if isinstance(event_type, dict):  # the JS shape: waitForEvent(name, {type, timeout})
            timeout = event_type.get("timeout", timeout)
            event_type = event_type.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise TypeError("wait_for_event() needs an event type (a non-empty string)")
        count = self._count("waitForEvent-" + str(name))
        return await self._engine.wait_for_event(self._id, name, event_type, timeout, count)

    def waitForEvent(self, name: str, options: Any = None, **kwargs: Any) -> Any:
        return self.wait_for_event(name, {**(options or {}), **kwargs})
