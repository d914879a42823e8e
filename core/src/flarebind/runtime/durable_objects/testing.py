"""The ``Runtime`` methods that reach Durable Objects directly (tests, tools): stubs, alarms, eviction.

Mixed into :class:`flarebind.runtime.runtime.Runtime`; the namespace of a binding is looked up in the runtime's env.
"""

from __future__ import annotations

from typing import Any


def _host_of(ctx: Any) -> Any:
    # imported here: the Runtime imports this module, and a Worker without Durable Objects never needs the rest
    from flarebind.runtime.durable_objects.host import host_of

    return host_of(ctx) if ctx is not None else None


class DurableObjectsRuntime:
    """``get_durable_object``, ``run_in_durable_object``, ``dispatch_alarm``, ``run_due_alarms``,
    ``evict_durable_objects``."""

    _ctx: Any

    def _attach_durable_objects(self) -> None:
        host = _host_of(self._ctx)
        if host is not None:
            host.attach(self)

    def _durable_object_host(self) -> Any:
        host = _host_of(self._ctx)
        if host is None:
            raise LookupError("this runtime has no Durable Object bindings")
        return host

    async def get_durable_object_namespace(self, binding: str) -> Any:
        from flarebind.runtime.durable_objects.namespace import DurableObjectNamespace

        env = await self.get_bindings()  # type: ignore[attr-defined]
        namespace = env[binding]
        if not isinstance(namespace, DurableObjectNamespace):
            raise TypeError(f"binding {binding!r} is not a Durable Object namespace")
        return namespace

    async def get_durable_object(self, binding: str, name_or_id: Any) -> Any:
        """A stub for the object named ``name_or_id`` (``idFromName``), or with that id / hex id."""
        from flarebind.runtime.durable_objects.ids import DurableObjectId

        namespace = await self.get_durable_object_namespace(binding)
        if isinstance(name_or_id, DurableObjectId):
            return namespace.get(name_or_id)
        return namespace.getByName(name_or_id)

    async def run_in_durable_object(self, stub: Any, fn: Any) -> Any:
        """Call ``fn(instance, ctx)`` inside the object (through its gates), like vitest's ``runInDurableObject``."""
        import inspect

        async def call(instance: Any) -> Any:
            result = fn(instance, instance.ctx)
            return await result if inspect.isawaitable(result) else result

        return await stub._record().deliver(call)

    async def dispatch_alarm(self, binding: str, name_or_id: Any) -> bool:
        """Run the object's alarm now if one is set (whatever its time); returns whether it ran."""
        stub = await self.get_durable_object(binding, name_or_id)
        return bool(await stub._state.alarms.fire(stub.id.toString()))

    async def run_due_alarms(self) -> int:
        """Run every alarm due by the runtime's clock (with a fake clock: after moving it); returns how many ran."""
        await self.ready  # type: ignore[attr-defined]
        ran = 0
        for namespace in list(self._durable_object_host().namespaces.values()):
            for actor in namespace.alarms.due():
                ran += bool(await namespace.alarms.fire(actor))
        return ran

    def evict_durable_objects(self) -> int:
        """Evict every idle object now (hibernation without waiting 10 s); returns how many were evicted."""
        count = 0
        for namespace in self._durable_object_host().namespaces.values():
            for record in namespace.records.values():
                if record.instance is not None and record.evict():
                    count += 1
        return count
