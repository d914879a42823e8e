"""``worker_loaders``: ``env.LOADER.get(id, callback)`` loads a Worker from code given at run time (Dynamic Workers).

The callback returns the ``WorkerCode`` (``compatibilityDate``, ``compatibilityFlags``, ``mainModule``, ``modules``,
``env``); flarebind writes the Python modules into a private folder and runs them in their own runtime: its own
module namespace (the loading Worker's modules are set aside while it imports, see ``loader``), its own ``env``
(exactly the ``env`` object given, as on Cloudflare), its own compatibility settings. Loaded Workers are cached by
``id``, so the callback runs once per id, as the runtime caches isolates. ``get(...).getEntrypoint(name?, {props})``
is a Fetcher: ``fetch`` and RPC, as a service binding. ``globalOutbound`` routes the loaded Worker's own ``fetch()``:
absent, to the network; a Fetcher (a service binding, ``ctx.exports`` entry, another loaded Worker), to its ``fetch``;
``None`` (JS null), nowhere: ``fetch()`` raises workerd's error.
"""

from __future__ import annotations

import inspect
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

_MODULE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_ABSENT = object()
# workerd's text when a Worker loaded with globalOutbound: null calls fetch()
BLOCKED = (
    "This worker is not permitted to access the internet via global functions like fetch(). "
    "It must use capabilities (such as bindings in 'env') to talk to the outside world."
)


def _outbound_route(outbound: Any) -> Any:
    """The route for the loaded Worker's ``fetch()`` (see ``sdk.context.current_outbound``); None: the network."""
    if outbound is _ABSENT:
        return None
    if outbound is None:

        async def blocked(request: Any) -> Any:
            from flarebind.errors import JsException

            raise JsException(BLOCKED, name="Error")

        return blocked
    fetch = getattr(outbound, "fetch", None)
    if not callable(fetch):
        raise TypeError(
            f"globalOutbound must be a Fetcher (a service binding or a loaded Worker's entrypoint) or None, "
            f"not {type(outbound).__name__}"
        )

    async def through(request: Any) -> Any:
        response = fetch(request)
        while inspect.isawaitable(response):
            response = await response
        return getattr(response, "js_object", response)

    return through


def _field(code: Any, name: str, default: Any = None) -> Any:
    if hasattr(code, "get"):
        return code.get(name, default)
    return getattr(code, name, default)


def _module_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not _MODULE_NAME.match(name) or path.is_absolute() or ".." in path.parts:
        raise TypeError(f"Invalid module name {name!r}: module names are relative paths without '..'")
    return path


def _module_source(name: str, value: Any) -> str | bytes:
    if isinstance(value, str):
        if name.endswith((".js", ".mjs", ".cjs")):
            raise NotImplementedError(
                f"Worker Loader: module {name!r} is JavaScript; flarebind runs Python Workers only"
            )
        return value
    for kind in ("py", "text", "json", "data"):
        inner = _field(value, kind)
        if inner is not None:
            if kind == "json":
                import json

                return json.dumps(inner)
            return inner if isinstance(inner, (str, bytes)) else bytes(inner)
    kinds = ", ".join(k for k in ("js", "cjs", "wasm") if _field(value, k) is not None) or type(value).__name__
    raise NotImplementedError(f"Worker Loader: module {name!r} of kind {kinds} is not simulated by flarebind")


class _DynamicRuntime:
    """Builds the Runtime subclass lazily (runtime.py is heavy to import at plugin load)."""

    cls: Any = None

    @classmethod
    def make(cls, **options: Any) -> Any:
        if cls.cls is None:
            from flarebind.runtime.runtime import Runtime

            class DynamicRuntime(Runtime):
                given_env: dict[str, Any] | None = None

                def _binding_specs(self) -> dict[str, dict[str, Any]]:
                    return {}

                def _build_env(self, specs: dict[str, dict[str, Any]], keep: dict[str, Any]) -> Any:
                    from flarebind.platform import Env

                    return Env(dict(self.given_env or {}))

            cls.cls = DynamicRuntime
        env = options.pop("env")
        runtime = cls.cls(**options)
        runtime.given_env = env
        return runtime


class WorkerStub:
    """What ``LOADER.get(id, callback)`` returns."""

    def __init__(self, loader: WorkerLoader, id: str, callback: Any) -> None:
        self._loader = loader
        self.id = id
        self._callback = callback
        self._runtime: Any = None

    async def _ready(self) -> Any:
        if self._runtime is None:
            code = self._callback()
            while inspect.isawaitable(code):
                code = await code
            self._runtime = self._loader._start(self.id, code)
        await self._runtime.ready
        return self._runtime

    def getEntrypoint(self, name: str | None = None, options: Any = None) -> Any:
        from flarebind.runtime.services.binding import ServiceBinding

        props = _field(options, "props") if options is not None else None
        stub = self

        class _Target:
            # the service binding awaits .ready on what it gets: resolve the dynamic Worker first
            @property
            def ready(self) -> Any:
                import asyncio

                return asyncio.ensure_future(stub._ready())

            def __getattr__(self, attr: str) -> Any:
                if stub._runtime is None:
                    raise AttributeError(attr)
                return getattr(stub._runtime, attr)

        return ServiceBinding(f"{self._loader.binding}:{self.id}", self.id, name, props, runtime=_Target())

    get_entrypoint = getEntrypoint


class WorkerLoader:
    def __init__(self, binding: str, ctx: Any) -> None:
        self.binding = binding
        self._ctx = ctx
        self._stubs: dict[str, WorkerStub] = {}
        self._folder: Path | None = None
        self._runtimes: list[Any] = []
        ctx.add_cleanup(self._dispose)

    def get(self, id: str | None, callback: Any) -> WorkerStub:
        callback = getattr(callback, "_flarebind_proxied", callback)  # create_proxy(fn)
        if id is None:  # no caching: a fresh Worker every time
            return WorkerStub(self, f"anonymous-{len(self._runtimes)}", callback)
        stub = self._stubs.get(str(id))
        if stub is None:
            stub = self._stubs[str(id)] = WorkerStub(self, str(id), callback)
        return stub

    def load(self, code: Any) -> WorkerStub:
        return self.get(None, lambda: code)

    def _start(self, id: str, code: Any) -> Any:
        route = _outbound_route(_field(code, "globalOutbound", _ABSENT))
        main = _field(code, "mainModule")
        modules = _field(code, "modules") or {}
        if not main or main not in modules:
            raise TypeError(f"mainModule {main!r} must name one of the modules given ({', '.join(modules)})")
        if not str(main).endswith(".py"):
            raise NotImplementedError(
                f"Worker Loader: mainModule {main!r} is not a Python module; flarebind runs Python Workers only"
            )
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="flarebind-loader-"))
        # one folder per loaded Worker (ids are arbitrary text: the folder is numbered, never named after them)
        root = self._folder / f"w{len(self._runtimes)}"
        for name, value in modules.items():
            path = root / _module_path(str(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            source = _module_source(str(name), value)
            path.write_bytes(source.encode() if isinstance(source, str) else source)
        env = _field(code, "env") or {}
        runtime = _DynamicRuntime.make(
            main=root / str(main),
            env=dict(env.items()) if hasattr(env, "items") else dict(vars(env)),
            in_memory=True,
            compatibility_date=_field(code, "compatibilityDate"),
            compatibility_flags=list(_field(code, "compatibilityFlags") or ()),
            project_dir=root,
        )
        runtime.global_outbound = route
        self._runtimes.append(runtime)
        return runtime

    async def _dispose(self) -> None:
        for runtime in self._runtimes:
            await runtime.dispose()
        self._runtimes.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __repr__(self) -> str:
        return f"<WorkerLoader {self.binding}>"


def make_local_worker_loader(name: str, spec: dict[str, Any], ctx: Any) -> WorkerLoader:
    """The local adapter for ``worker_loaders``."""
    return WorkerLoader(name, ctx)
