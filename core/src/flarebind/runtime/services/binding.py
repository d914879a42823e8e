"""``env.SERVICE``: a Fetcher to another Worker in this process (or this one, for a self-binding).

``await env.S.fetch(url_or_request, init)`` calls the target entrypoint's ``fetch`` directly (no socket), and
``await env.S.method(*args)`` calls a public method of a fresh instance of the target ``WorkerEntrypoint`` class
(``entrypoint`` picks a named class; ``props`` becomes ``self.ctx.props``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from flarebind.runtime.services import registry
from flarebind.runtime.services.rpc import RESERVED, clone, clone_error


class ServiceBinding:
    def __init__(
        self,
        binding: str,
        service: str,
        entrypoint: str | None = None,
        props: Any = None,
        *,
        runtime: Any = None,
        outbound: Any = None,
        env_extra: dict[str, Any] | None = None,
    ) -> None:
        self._binding = binding
        self._service = service
        self._entrypoint = entrypoint
        self._props = dict(props or {})
        self._target = runtime  # a fixed target (a Worker Loader's dynamic Worker) instead of a registry lookup
        self._outbound = outbound  # the target's own fetch() goes there (a dispatch namespace's outbound Worker)
        self._env_extra = dict(env_extra or {})  # added to the target's env (an outbound Worker's parameters)

    def __repr__(self) -> str:
        target = f"{self._service}#{self._entrypoint}" if self._entrypoint else self._service
        return f"<Fetcher {self._binding} -> {target}>"

    # -- resolving the target --------------------------------------------------------------------------------------

    def _runtime(self) -> Any:
        if self._target is not None:
            return self._target() if callable(self._target) else self._target
        return registry.lookup(self._service)

    def _in_registry(self) -> Any:
        """The target in another ``flarebind dev`` process, found through the dev registry (None: not running)."""
        if self._target is not None:
            return None
        from flarebind.runtime.services import devregistry

        entry = devregistry.lookup(self._service)
        if entry is None:
            return None
        from flarebind.runtime.services.edge import RemoteWorker

        return RemoteWorker(self._service, entry)

    def _entry_class(self, runtime: Any) -> type | None:
        """The target class (None: the default export is legacy module-level handlers)."""
        from flarebind.runtime.sdk.entrypoints import WorkerEntrypoint

        worker = runtime.worker
        if worker is None:
            raise RuntimeError(str(runtime.load_error or f'Worker "{self._service}" is not loaded'))
        if self._entrypoint is None or self._entrypoint == "default":
            return worker.default_class
        from flarebind.runtime.loader import exported_names

        cls = getattr(worker.module, self._entrypoint, None)
        if (
            self._entrypoint not in exported_names(worker.module)
            or not isinstance(cls, type)
            or not issubclass(cls, WorkerEntrypoint)
        ):
            raise TypeError(
                f'Worker "{runtime.config.name if runtime.config else "main"}"\'s binding "{self._binding}" refers '
                f'to service "{self._service}" with a named entrypoint "{self._entrypoint}", but "{self._service}" '
                "has no such named entrypoint."
            )
        return cls

    def _env(self, runtime: Any) -> Any:
        if not self._env_extra:
            return runtime._env
        from flarebind.platform import Env

        return Env({**{name: runtime._env[name] for name in runtime._env}, **self._env_extra})

    @contextlib.contextmanager
    def _invocation(self, runtime: Any) -> Iterator[Any]:
        from flarebind.runtime.sdk.context import ExecutionContext, current_ctx, current_env, current_outbound

        ctx = ExecutionContext(runtime._tracker, self._props)
        env_token = current_env.set(self._env(runtime))
        ctx_token = current_ctx.set(ctx)
        outbound_token = current_outbound.set(self._outbound or runtime.global_outbound)
        try:
            yield ctx
        finally:
            current_outbound.reset(outbound_token)
            current_ctx.reset(ctx_token)
            current_env.reset(env_token)

    # -- fetch ---------------------------------------------------------------------------------------------------

    async def fetch(self, input: Any, init: Any = None, **kwargs: Any) -> Any:
        from flarebind.runtime.sdk.request import JsRequest, Request
        from flarebind.runtime.sdk.response import JsResponse, Response, as_js_response

        if isinstance(input, str) and not urlsplit(input).scheme:
            raise TypeError(f"Fetch API cannot load: {input}")
        plain = getattr(input, "js_object", input)
        if isinstance(plain, JsRequest) and init is None and not kwargs:
            request = plain  # passed on as it is: its (possibly streamed) body goes to the target, as in JS
        else:
            request = JsRequest.new(input, init, **kwargs)
        runtime = self._runtime()
        if runtime is None and (remote := self._in_registry()) is not None:  # another flarebind dev process
            self._local_only(remote)
            return Response(await remote.fetch(request, self._entrypoint, self._props))
        if runtime is None:
            from flarebind.runtime.services.devregistry import missing_message

            return Response(
                JsResponse(
                    missing_message(self._service),
                    status=503,
                    headers={"content-type": "text/plain;charset=UTF-8"},
                )
            )
        await runtime.ready
        if runtime.assets_only:  # no Worker code: the asset server answers, as Cloudflare routes it
            return Response(await runtime.handle_fetch(request))
        cls = self._entry_class(runtime)
        plain = cls is getattr(runtime.worker, "default_class", None) and not self._props and not self._env_extra
        if cls is None or plain:  # the default entrypoint, as an HTTP request would reach it
            return Response(await runtime.handle_fetch(request, outbound=self._outbound))
        with self._invocation(runtime) as ctx:
            try:
                method = getattr(runtime._instantiate(cls, ctx, self._env(runtime)), "fetch", None)
                if method is None:
                    raise TypeError("Handler does not export a fetch() function.")
                result = method(Request(request))
                while inspect.isawaitable(result):
                    result = await result
                return Response(as_js_response(result))
            except Exception as exc:
                return Response(runtime._error_response(exc, request))

    # -- RPC -----------------------------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._call(name, args, kwargs)

        call.__name__ = name
        return call

    async def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name in RESERVED:
            raise TypeError(f"'{name}' is a reserved method and cannot be called over RPC.")
        runtime = self._runtime()
        if runtime is None and (remote := self._in_registry()) is not None:  # another flarebind dev process
            self._local_only(remote)
            sent = [clone(a) for a in args] + ([clone(dict(kwargs))] if kwargs else [])
            return await remote.call(name, sent, self._entrypoint, self._props)
        if runtime is None:
            from flarebind.runtime.services.devregistry import missing_message

            raise Exception(missing_message(self._service))
        await runtime.ready
        # an assets-only Worker has no entrypoint class: nothing on it implements a method
        cls = None if runtime.assets_only else self._entry_class(runtime)
        # the RPC surface: public plain functions defined on the class (or its bases), not instance attributes
        member = None if cls is None or name.startswith("_") else inspect.getattr_static(cls, name, None)
        if not (inspect.isfunction(member) or isinstance(member, staticmethod)):
            raise TypeError(f'The RPC receiver does not implement the method "{name}".')
        sent = [clone(a) for a in args]
        if kwargs:  # Pyodide turns keyword arguments into a trailing options object
            sent.append(clone(dict(kwargs)))
        with self._invocation(runtime) as ctx:
            instance = runtime._instantiate(cls, ctx, self._env(runtime))
            try:
                result = getattr(instance, name)(*sent)
                while inspect.isawaitable(result):
                    result = await result
            except Exception as exc:
                raise clone_error(exc) from None
        return clone(result)

    def _local_only(self, remote: Any) -> None:
        if self._env_extra or self._outbound is not None:
            raise NotImplementedError(
                f"{self._binding}: Worker {self._service!r} runs in another flarebind dev process; outbound "
                "parameters and outbound routing reach Workers of this process only (start it here: "
                f"flarebind dev -c <this config> -c <{self._service}'s config>)"
            )

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{self._binding}.connect(): TCP sockets to a Worker over a service binding are not simulated by flarebind"
        )


def make_local_service(name: str, spec: dict[str, Any], ctx: Any) -> ServiceBinding:
    """The local adapter for ``[[services]]``: the target is found by name among this process's Workers."""
    return ServiceBinding(name, spec["service"], spec.get("entrypoint"), spec.get("props"))


def fetcher_for(
    runtime: Any, *, name: str = "", entrypoint: str | None = None, props: Any = None, outbound: Any = None
) -> ServiceBinding:
    """A Fetcher (``fetch`` and RPC) to the Worker ``runtime`` runs, as a service binding to it would be: for
    plugins that route to Workers they start themselves (dispatch namespaces). ``outbound`` (an async callable, JS
    Request -> JS Response) receives the target's own ``fetch()`` calls during these invocations."""
    target_name = runtime.config.name if getattr(runtime, "config", None) is not None else name
    return ServiceBinding(
        name or str(target_name), str(target_name or name), entrypoint, props, runtime=runtime, outbound=outbound
    )


def service_fetcher(service: str, *, name: str = "", env_extra: dict[str, Any] | None = None) -> ServiceBinding:
    """A Fetcher to the Worker named ``service`` (this process, else the dev registry), as ``[[services]]`` has it;
    ``env_extra`` is added to its env for these calls (an outbound Worker's parameters)."""
    return ServiceBinding(name or service, service, env_extra=env_extra)
