"""A Durable Object binding with ``script_name``: the class belongs to another Worker.

The owning Worker is looked up at call time, as wrangler's dev-registry proxy does: first among the Workers of this
process (``flarebind dev -c a -c b``), where the call goes straight to the owner's host (one instance per id, its
gates, storage under the *owner's* ``.wrangler/state/v3/do/<script>-<Class>/``), then in the dev registry (another
``flarebind dev`` process, reached over ``/cdn-cgi/flarebind-service/<script>/do-fetch`` and ``/do-rpc``). Ids are
derived here with the owner's unique key ``<script>-<Class>``, so they equal the ones the owner derives itself.
Not running anywhere: ``fetch`` answers 503 and RPC raises, with wrangler's text.
"""

from __future__ import annotations

from typing import Any

from flarebind.runtime.durable_objects.ids import DurableObjectId, IdFactory
from flarebind.runtime.durable_objects.namespace import JURISDICTION_TEXT, DurableObjectStub


def owner_state(runtime: Any, script: str, class_name: str) -> Any:
    """The owner's namespace state for ``class_name`` (SQL or KV storage as the owner's migrations say)."""
    from flarebind.runtime.durable_objects.host import host_for
    from flarebind.runtime.durable_objects.migrations import sqlite_classes

    host = host_for(runtime._ctx)
    if host.runtime is None:  # the owner has no binding of its own to the class: serve from its Worker now
        host.attach(runtime)
    config = getattr(runtime, "config", None)
    sql = class_name in sqlite_classes(config.flat.get("migrations")) if config is not None else False
    return host.namespace(script, class_name, sql)


class OtherWorkerNamespace:
    """``idFromName``, ``newUniqueId``, ``idFromString``, ``get``, ``getByName`` for a class of Worker ``script``."""

    def __init__(self, binding: str, script: str, class_name: str) -> None:
        self._binding = binding
        self._script = script
        self._class = class_name
        self._ids = IdFactory(f"{script}-{class_name}")

    def idFromName(self, name: Any) -> DurableObjectId:
        name = str(name)
        return DurableObjectId(self._ids.from_name(name), name, self)

    def newUniqueId(self, options: Any = None, **kwargs: Any) -> DurableObjectId:
        if (dict(options or {}) | kwargs).get("jurisdiction") is not None:
            raise NotImplementedError(JURISDICTION_TEXT)
        return DurableObjectId(self._ids.unique(), None, self)

    def idFromString(self, text: Any) -> DurableObjectId:
        return DurableObjectId(self._ids.check(text), None, self)

    def get(self, id: DurableObjectId, options: Any = None, **kwargs: Any) -> OtherWorkerStub:
        mode = (dict(options or {}) | kwargs).get("routingMode")
        if mode is not None and mode != "primary-only":
            raise ValueError(f"unknown routingMode: {mode}")
        if not isinstance(id, DurableObjectId):
            raise TypeError("get() expects a DurableObjectId (from idFromName, newUniqueId or idFromString)")
        if id._namespace is not self:
            raise TypeError("Durable Object ID is not valid for this namespace.")
        return OtherWorkerStub(self, id)

    def getByName(self, name: Any, options: Any = None, **kwargs: Any) -> OtherWorkerStub:
        return self.get(self.idFromName(name), options, **kwargs)

    def jurisdiction(self, name: Any) -> OtherWorkerNamespace:
        if name is not None:
            raise NotImplementedError(JURISDICTION_TEXT)
        return self

    id_from_name, new_unique_id, id_from_string, get_by_name = idFromName, newUniqueId, idFromString, getByName

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self._binding} ({self._script}-{self._class})>"


class OtherWorkerStub(DurableObjectStub):
    """A stub whose object lives in another Worker; every call resolves where that Worker runs now."""

    def __init__(self, namespace: OtherWorkerNamespace, id: DurableObjectId) -> None:
        self._namespace = namespace
        self.id = id
        self.name = id.name

    async def _local(self) -> DurableObjectStub | None:
        from flarebind.runtime.services import registry

        runtime = registry.lookup(self._namespace._script)
        if runtime is None:
            return None
        await runtime.ready
        state = owner_state(runtime, self._namespace._script, self._namespace._class)
        return DurableObjectStub(state, DurableObjectId(self.id.toString(), self.id.name, state))

    def _remote(self) -> Any:
        from flarebind.runtime.services import devregistry
        from flarebind.runtime.services.edge import RemoteWorker

        entry = devregistry.lookup(self._namespace._script)
        return None if entry is None else RemoteWorker(self._namespace._script, entry)

    def _target(self) -> dict[str, Any]:
        return {"class": self._namespace._class, "id": self.id.toString(), "name": self.id.name}

    async def _fetch_js(self, request: Any) -> Any:
        from flarebind.runtime.sdk.response import JsResponse
        from flarebind.runtime.services.devregistry import missing_message

        if (local := await self._local()) is not None:
            return await local._fetch_js(request)
        if (remote := self._remote()) is not None:
            return await remote.object_fetch(request, self._target())
        return JsResponse(
            missing_message(self._namespace._script), status=503, headers={"content-type": "text/plain;charset=UTF-8"}
        )

    async def _run_steps(self, steps: list[tuple[str, Any]]) -> Any:
        from flarebind.runtime.services.devregistry import missing_message

        if (local := await self._local()) is not None:
            return await local._run_steps(steps)
        if (remote := self._remote()) is not None:
            return await remote.object_call(steps, self._target())
        raise Exception(missing_message(self._namespace._script))

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._namespace._script}-{self._namespace._class} {self.id.toString()}>"
