"""``env.MY_WORKFLOW``: the Workflow binding and instance handles (Workers API names, plus the SDK's snake_case)."""

from __future__ import annotations

from typing import Any

from flarebind.runtime.workflows.engine import WorkflowEngine
from flarebind.runtime.workflows.errors import WorkflowError


def _options(options: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    merged = dict(options or {})
    merged.update(kwargs)
    return merged


class WorkflowInstance:
    """A handle on one instance: ``id``, ``status()``, ``pause()``, ``resume()``, ``terminate()``, ``restart()``,
    ``sendEvent({type, payload})`` (``send_event`` too)."""

    def __init__(self, engine: WorkflowEngine, id: str) -> None:
        self._engine = engine
        self.id = id

    async def status(self) -> Any:
        return self._engine.status(self.id)

    async def pause(self) -> None:
        await self._engine.pause(self.id)

    async def resume(self) -> None:
        await self._engine.resume(self.id)

    async def terminate(self, options: Any = None, **kwargs: Any) -> None:
        await self._engine.terminate(self.id)

    async def restart(self, options: Any = None, **kwargs: Any) -> None:
        if _options(options, kwargs).get("from"):
            raise NotImplementedError(
                "restart({from: ...}) (restarting from a given step) is not simulated by flarebind yet; "
                "restart() without options re-runs the instance from the start"
            )
        await self._engine.restart(self.id)

    async def sendEvent(self, options: Any = None, **kwargs: Any) -> None:
        opts = _options(options, kwargs)
        self._engine.send_event(self.id, opts.get("type"), opts.get("payload"))

    send_event = sendEvent

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self._engine.name}/{self.id}>"


class Workflow:
    """``create({id, params})``, ``createBatch([...])`` (``create_batch``), ``get(id)``."""

    def __init__(self, binding: str, engine: WorkflowEngine) -> None:
        self._binding = binding
        self._engine = engine

    async def create(self, options: Any = None, **kwargs: Any) -> WorkflowInstance:
        opts = _options(options, kwargs)
        id = self._engine.create(opts.get("id"), opts.get("params"))
        return WorkflowInstance(self._engine, id)

    async def createBatch(self, batch: Any) -> list[WorkflowInstance]:
        batch = list(batch or [])
        if not batch:
            raise WorkflowError("WorkflowError: batchCreate should have at least 1 instance")
        return [await self.create(item) for item in batch]

    create_batch = createBatch

    async def get(self, id: str) -> WorkflowInstance:
        self._engine.require(id)
        return WorkflowInstance(self._engine, id)

    def __repr__(self) -> str:
        return f"<Workflow {self._binding} ({self._engine.name} -> {self._engine.class_name})>"


def make_local_workflow(name: str, spec: dict[str, Any], ctx: Any) -> Workflow:
    """The local adapter for ``[[workflows]]`` bindings."""
    from flarebind.runtime.workflows.host import host_for

    engine = host_for(ctx).engine(
        spec.get("name") or name, spec["class_name"], spec.get("script_name"), spec.get("limits")
    )
    return Workflow(name, engine)
