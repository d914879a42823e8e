"""Where Workflow engines live: one :class:`WorkflowsHost` per runtime state (``LocalContext``).

Bindings (built before the Worker is imported) get their engine from the host; the runtime attaches itself once the
Worker is loaded (:func:`flarebind.runtime.background.attach`), which is when instances can run and when instances
a previous process left unfinished are resumed. Without an attached Worker (``platform_proxy``) instances are
created and stay ``queued``.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from flarebind.runtime.workflows.engine import DEFAULT_STEP_LIMIT, WorkflowEngine
from flarebind.runtime.workflows.errors import WorkflowFatalError
from flarebind.runtime.workflows.store import WorkflowStore, check_workflow_name, workflow_db_path

# by id(LocalContext) (attrs makes contexts unhashable); an entry is dropped when its context is disposed
_HOSTS: dict[int, WorkflowsHost] = {}


class WorkflowsHost:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.engines: dict[str, WorkflowEngine] = {}
        self.runner: Any = None  # the Runtime whose Worker defines the classes
        self.log = lambda text: print(text, file=sys.stderr, flush=True)

    @property
    def clock(self) -> Any:
        return self.ctx.clock

    def engine(self, name: str, class_name: str, script_name: str | None = None, limits: Any = None) -> WorkflowEngine:
        engine = self.engines.get(name)
        if engine is not None:
            return engine
        check_workflow_name(name)
        path = None if self.ctx.in_memory or self.ctx.persist_to is None else workflow_db_path(self.ctx.v3_dir(), name)
        steps = (limits or {}).get("steps") if isinstance(limits, dict) else None
        engine = WorkflowEngine(
            self, name, class_name, script_name, WorkflowStore(path), int(steps) if steps else DEFAULT_STEP_LIMIT
        )
        self.engines[name] = engine
        if self.runner is not None:
            engine.resume_after_restart()
        return engine

    def _compat(self) -> Any:
        from flarebind.runtime.compat import Compat

        return Compat.of(self.ctx.compatibility_date, self.ctx.compatibility_flags)

    def implicit_dependencies(self) -> bool:
        return bool(self._compat().enabled("python_workflows_implicit_dependencies"))

    def preserve_non_retryable(self) -> bool:
        return "workflows_preserve_non_retryable_error_message" in tuple(self.ctx.compatibility_flags)

    def attach(self, runtime: Any) -> None:
        self.runner = runtime
        self.log = runtime.log
        for engine in self.engines.values():
            engine.resume_after_restart()

    async def detach(self) -> None:
        self.runner = None
        for engine in self.engines.values():
            await engine.shutdown()

    async def close(self) -> None:
        await self.detach()
        for engine in self.engines.values():
            engine.store.close()
        self.engines.clear()

    async def run_entrypoint(self, engine: WorkflowEngine, event: Any, step: Any) -> Any:
        """Call ``<class_name>().run(event, step)`` in the attached Worker, with its env and a fresh ctx."""
        runtime = self.runner
        worker = runtime.worker if runtime is not None else None
        if worker is None:
            raise WorkflowFatalError(f"Workflow {engine.name}: the Worker is not loaded")
        if engine.script_name and runtime.config is not None and engine.script_name != runtime.config.name:
            raise WorkflowFatalError(
                f"Workflow {engine.name}: class {engine.class_name} is defined in Worker {engine.script_name!r}, "
                "which does not run in this flarebind process (cross-Worker workflows are not supported yet)"
            )
        cls = getattr(worker.module, engine.class_name, None)
        if not isinstance(cls, type):
            raise WorkflowFatalError(
                f"Workflow {engine.name}: class_name {engine.class_name!r} is not a class exported by "
                f"{worker.main.name}; export a WorkflowEntrypoint subclass with that name"
            )
        with runtime._invocation() as ctx:
            instance = runtime._instantiate(cls, ctx)
            result = instance.run(event, step)
            if inspect.isawaitable(result):
                result = await result
        return result


def host_for(ctx: Any) -> WorkflowsHost:
    host = existing_host(ctx)
    if host is None:
        host = _HOSTS[id(ctx)] = WorkflowsHost(ctx)

        async def close() -> None:
            _HOSTS.pop(id(ctx), None)
            await host.close()

        ctx.add_cleanup(close)
    return host


def existing_host(ctx: Any) -> WorkflowsHost | None:
    host = _HOSTS.get(id(ctx))
    return host if host is not None and host.ctx is ctx else None
