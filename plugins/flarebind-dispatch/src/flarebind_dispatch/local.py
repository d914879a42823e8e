"""Dispatch namespaces locally: user Workers registered from local folders, run in this process on demand.

The registrations live in the project's state folder (``v3/dispatch-namespaces/<namespace>.json``, written by
``flarebind dispatch-namespace add-local``), so a dispatch Worker finds them across restarts.
``env.DISPATCHER.get(script, args?, options?)`` starts that Worker (its own bindings and state folder, as when it runs
on its own) and returns a Fetcher to it; an unknown script raises ``Worker not found.`` (the message Cloudflare's
dynamic-dispatch docs test with ``startsWith("Worker not found")``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


def check_name(kind: str, value: str) -> str:
    """Namespace and script names become file names and keys: letters, digits, ``-`` and ``_`` only."""
    if not _NAME.match(value or ""):
        raise ValueError(
            f"Invalid {kind} name {value!r}: use 1-63 letters, digits, '-' or '_' (starting with a letter or digit)"
        )
    return value


def registry_file(state_dir: Path, namespace: str) -> Path:
    return Path(state_dir) / "v3" / "dispatch-namespaces" / f"{check_name('dispatch namespace', namespace)}.json"


def read_scripts(state_dir: Path, namespace: str) -> dict[str, str]:
    path = registry_file(state_dir, namespace)
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("scripts", {}))


def write_scripts(state_dir: Path, namespace: str, scripts: dict[str, str]) -> Path:
    path = registry_file(state_dir, namespace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scripts": dict(sorted(scripts.items()))}, indent=2) + "\n")
    return path


class DispatchNamespace:
    """``env.DISPATCHER``: ``get(script, args=None, options=None)`` -> Fetcher to the local user Worker."""

    def __init__(self, binding: str, namespace: str, outbound: Any, ctx: Any) -> None:
        self._binding = binding
        self._namespace = namespace
        self._outbound = outbound
        self._ctx = ctx
        self._runtimes: dict[str, Any] = {}
        ctx.add_cleanup(self._dispose)

    def _state_dir(self) -> Path:
        from flarebind.plugin import default_state_dir

        persist = getattr(self._ctx, "persist_to", None)
        return Path(persist) if persist else default_state_dir(self._ctx.project_dir)

    def get(self, name: str, args: Any = None, options: Any = None, **kwargs: Any) -> Any:
        from flarebind.plugin import Runtime, fetcher_for

        opts = dict(options or {})
        opts.update(kwargs)
        # `limits` ({cpuMs, subRequests}) are accepted: flarebind does not meter CPU or subrequests
        runtime = self._runtimes.get(name)
        if runtime is None:
            scripts = read_scripts(self._state_dir(), self._namespace)
            config = scripts.get(str(name))
            if config is None:
                raise Exception("Worker not found.")
            runtime = Runtime.from_config(config, local=True)
            self._runtimes[name] = runtime
        return fetcher_for(runtime, name=str(name), outbound=self._outbound_route(opts.get("outbound")))

    def _outbound_route(self, given: Any) -> Any:
        """The user Worker's ``fetch()`` goes to the outbound Worker (``outbound.service``), which sees the declared
        ``parameters`` given to ``get(..., {"outbound": {...}})`` as ``env.<name>``; without an outbound Worker
        configured, subrequests go to the network and outbound values are not used (None)."""
        if not self._outbound:
            return None
        from flarebind.plugin import service_fetcher

        service = self._outbound.get("service")
        if not isinstance(service, str) or not service:
            raise ValueError(f"{self._binding}: dispatch_namespaces.outbound needs `service` (the outbound Worker)")
        declared = [str(p) for p in self._outbound.get("parameters") or []]
        values = dict(given.items() if hasattr(given, "items") else (given or {}))
        extra = {p: values[p] for p in declared if p in values}
        target = service_fetcher(service, name=f"{self._binding} outbound", env_extra=extra)

        async def route(request: Any) -> Any:
            return (await target.fetch(request)).js_object

        return route

    async def _dispose(self) -> None:
        for runtime in self._runtimes.values():
            await runtime.dispose()
        self._runtimes.clear()

    def __repr__(self) -> str:
        return f"<DispatchNamespace {self._binding} ({self._namespace}, local)>"


def make_local_dispatch(name: str, spec: dict[str, Any], ctx: Any) -> DispatchNamespace:
    """The local adapter for ``[[dispatch_namespaces]]``."""
    return DispatchNamespace(name, spec["namespace"], spec.get("outbound"), ctx)
