"""``env.MY_DO``: the Durable Object namespace binding, its ids and stubs (``fetch`` and RPC)."""

from __future__ import annotations

from typing import Any

from flarebind.runtime.durable_objects.host import NamespaceState, host_for
from flarebind.runtime.durable_objects.ids import DurableObjectId
from flarebind.runtime.durable_objects.migrations import DEFAULT_WORKER_NAME, check_class_name, check_worker_name
from flarebind.runtime.durable_objects.rpc import invoke

JURISDICTION_TEXT = "Jurisdiction restrictions are not implemented in workerd."


class DurableObjectNamespace:
    """``idFromName``, ``newUniqueId``, ``idFromString``, ``get``, ``getByName``, ``jurisdiction``."""

    def __init__(self, binding: str, state: NamespaceState) -> None:
        self._binding = binding
        self._state = state

    def idFromName(self, name: Any) -> DurableObjectId:
        name = str(name)
        return DurableObjectId(self._state.ids.from_name(name), name, self._state)

    def newUniqueId(self, options: Any = None, **kwargs: Any) -> DurableObjectId:
        jurisdiction = (dict(options or {}) | kwargs).get("jurisdiction")
        if jurisdiction is not None:
            raise NotImplementedError(JURISDICTION_TEXT)
        return DurableObjectId(self._state.ids.unique(), None, self._state)

    def idFromString(self, text: Any) -> DurableObjectId:
        return DurableObjectId(self._state.ids.check(text), None, self._state)

    def get(self, id: DurableObjectId, options: Any = None, **kwargs: Any) -> DurableObjectStub:
        opts = dict(options or {}) | kwargs
        mode = opts.get("routingMode")
        if mode is not None and mode != "primary-only":
            raise ValueError(f"unknown routingMode: {mode}")
        if not isinstance(id, DurableObjectId):
            raise TypeError("get() expects a DurableObjectId (from idFromName, newUniqueId or idFromString)")
        if id._namespace is not None and id._namespace is not self._state:
            raise TypeError("Durable Object ID is not valid for this namespace.")
        return DurableObjectStub(self._state, id)

    def getByName(self, name: Any, options: Any = None, **kwargs: Any) -> DurableObjectStub:
        return self.get(self.idFromName(name), options, **kwargs)

    def jurisdiction(self, name: Any) -> DurableObjectNamespace:
        if name is not None:
            raise NotImplementedError(JURISDICTION_TEXT)
        return self

    id_from_name, new_unique_id, id_from_string, get_by_name = idFromName, newUniqueId, idFromString, getByName

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self._binding} ({self._state.unique_key})>"


class DurableObjectStub:
    """A stub: ``id``, ``name``, ``await stub.fetch(url_or_request, **init)``, ``await stub.method(*args)``,
    ``await stub.property`` and chained ``await stub.a.b(…)``."""

    def __init__(self, state: NamespaceState, id: DurableObjectId) -> None:
        self._state = state
        self.id = id
        self.name = id.name

    def _record(self) -> Any:
        return self._state.record_for(self.id.toString(), self.id.name)

    async def fetch(self, input: Any, init: Any = None, **kwargs: Any) -> Any:
        from flarebind.runtime.sdk.fetch import js_fetch
        from flarebind.runtime.sdk.request import Request
        from flarebind.runtime.sdk.response import Response

        if isinstance(input, Request):
            input = input.js_object
        url = getattr(input, "url", input)
        if "://" not in str(url):
            raise TypeError(f"Fetch API cannot load: {url}")
        options = dict(init.items() if hasattr(init, "items") else (init or {})) | kwargs
        return Response(await js_fetch(input, options, fetcher=self._fetch_js))

    async def _fetch_js(self, request: Any) -> Any:
        from flarebind.runtime.sdk.calling import relaxed_call
        from flarebind.runtime.sdk.request import Request
        from flarebind.runtime.sdk.response import as_js_response

        async def call(instance: Any) -> Any:
            handler = getattr(instance, "fetch", None)
            if handler is None:
                raise TypeError("Handler does not export a fetch() function.")
            result = relaxed_call(handler, (Request(request),))
            if hasattr(result, "__await__"):
                result = await result
            return as_js_response(result)

        return await self._record().deliver(call)

    async def _run_steps(self, steps: list[tuple[str, Any]]) -> Any:
        return await self._record().deliver(lambda instance: invoke(instance, steps))

    def __getattr__(self, name: str) -> RpcPath:
        if name.startswith("_"):
            raise AttributeError(name)
        return RpcPath(self, [("get", name)])

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._state.class_name} {self.id.toString()}>"


class RpcPath:
    """``stub.name``: await it for a property, call it for a method, or go on (``stub.a(x).b(y)``: the chain is
    sent as one call, as promise pipelining does)."""

    def __init__(self, stub: DurableObjectStub, steps: list[tuple[str, Any]]) -> None:
        self._stub = stub
        self._steps = steps

    def __getattr__(self, name: str) -> RpcPath:
        if name.startswith("_"):
            raise AttributeError(name)
        return RpcPath(self._stub, [*self._steps, ("get", name)])

    def __call__(self, *args: Any) -> RpcPath:
        from flarebind.runtime.durable_objects.rpc import clone

        # the caller's copy is what travels, taken now, as structured clone has it
        return RpcPath(self._stub, [*self._steps, ("call", tuple(clone(a) for a in args))])

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> Any:
        return await self._stub._run_steps(self._steps)


def make_local(name: str, spec: dict[str, Any], ctx: Any) -> Any:
    """The local adapter for ``durable_object_namespace`` bindings."""
    class_name = check_class_name(spec.get("class_name"), name)
    worker = check_worker_name(spec.get("worker_name") or DEFAULT_WORKER_NAME, name)
    script = spec.get("script_name")
    if script and script != worker:
        # the class belongs to another Worker: found at call time in this process or through the dev registry
        from flarebind.runtime.durable_objects.foreign import OtherWorkerNamespace

        return OtherWorkerNamespace(name, check_worker_name(script, name), class_name)
    state = host_for(ctx).namespace(worker, class_name, bool(spec.get("use_sqlite")))
    return DurableObjectNamespace(name, state)
